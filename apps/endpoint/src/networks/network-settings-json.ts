import type { ContainerRecord } from '../containers/container-record';
import type { EndpointState } from './network-record';

/** One entry of inspect's NetworkSettings.Networks, in dockerd's shape. */
function endpointJson(endpoint: EndpointState, ipv4Address: string | undefined) {
  return {
    IPAMConfig: ipv4Address ? { IPv4Address: ipv4Address } : null,
    Links: null,
    Aliases: endpoint.aliases.length ? endpoint.aliases : null,
    MacAddress: endpoint.macAddress,
    DriverOpts: null,
    NetworkID: endpoint.networkId,
    EndpointID: endpoint.endpointId,
    Gateway: endpoint.gateway,
    IPAddress: endpoint.ipAddress,
    IPPrefixLen: endpoint.prefixLength,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/** `"80/tcp": [{HostIp, HostPort}]` for published ports, `null` for ports only exposed. */
export function portsJson(record: ContainerRecord): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const ports: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const key of Object.keys(record.config.ExposedPorts ?? {})) ports[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const b of record.state.network?.ports ?? []) (ports[b.containerPort] ??= []).push({ HostIp: b.hostIp, HostPort: String(b.hostPort) });
  return ports;
}

/** Inspect's NetworkSettings: the default bridge's endpoint is also shown at the top level, as dockerd does. */
export function networkSettingsJson(record: ContainerRecord) {
  const endpoints = record.state.network?.endpoints ?? {};
  const requested = record.config.NetworkingConfig?.EndpointsConfig ?? {};
  const bridge = endpoints.bridge;
  return {
    Bridge: '',
    SandboxID: '',
    SandboxKey: '',
    Ports: portsJson(record),
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.endpointId ?? '',
    Gateway: bridge?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: bridge?.ipAddress ?? '',
    IPPrefixLen: bridge?.prefixLength ?? 0,
    IPv6Gateway: '',
    MacAddress: bridge?.macAddress ?? '',
    Networks: Object.fromEntries(Object.entries(endpoints).map(([name, e]) => [name, endpointJson(e, requested[name]?.IPAMConfig?.IPv4Address)])),
  };
}

/** `docker ps`'s Ports: one row per published port. */
export function portSummaries(record: ContainerRecord) {
  return (record.state.network?.ports ?? []).map((b) => {
    const [port, type] = b.containerPort.split('/');
    return { IP: b.hostIp, PrivatePort: Number(port), PublicPort: b.hostPort, Type: type ?? 'tcp' };
  });
}
