import type { ContainerRecord } from '../containers/container-record';
import type { NetworkRecord } from './network-record';

/** `GET /networks/{id}` and each row of `GET /networks`, in dockerd's shape. */
export function networkJson(network: NetworkRecord, containers: ContainerRecord[]) {
  const attached: Record<string, unknown> = {};
  for (const c of containers) {
    const endpoint = c.state.network?.endpoints[network.name];
    if (!endpoint || endpoint.networkId !== network.id) continue;
    attached[c.id] = { Name: c.name, EndpointID: endpoint.endpointId, MacAddress: endpoint.macAddress, IPv4Address: `${endpoint.ipAddress}/${endpoint.prefixLength}`, IPv6Address: '' };
  }
  const ipam = network.ipam;
  return {
    Name: network.name,
    Id: network.id,
    Created: network.created,
    Scope: 'local',
    Driver: network.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: ipam ? [{ Subnet: ipam.subnet, Gateway: ipam.gateway, ...(ipam.ipRange ? { IPRange: ipam.ipRange } : {}) }] : [] },
    Internal: network.internal,
    Attachable: network.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: attached,
    Options: network.options,
    Labels: network.labels,
  };
}
