import { randomBytes } from 'node:crypto';
import { fail, ok, type Result } from '@vic/imagec';
import type { InterfaceConfig } from '@vic/protocol';
import type { ContainerCreateConfig, ContainerRecord, EndpointSettings } from '../containers/container-record';
import type { PortForward, SegmentNic } from '../portlayer/port-layer';
import { contains, formatAddress, parseAddress, parseSubnet, size } from './ipv4';
import type { ContainerNetworkState, EndpointState, NetworkRecord } from './network-record';
import type { NetworkStore } from './network-store';
import { HostPorts, requestedBindings } from './published-ports';

/** What a container's VM gets to join its networks. */
export interface NetworkAttachment {
  segments: SegmentNic[];
  interfaces: InterfaceConfig[];
  /** Absent when the container is on no network with a way out (`none`, internal networks only). */
  outbound?: { forwards: PortForward[] };
  extraHosts: string[];
  dns: { servers: string[]; search: string[] };
  /** On user-defined networks, as in dockerd: container names resolve through the embedded DNS. */
  embeddedDns?: { upstream: string[] };
  state: ContainerNetworkState;
}

export type NetworkingErrorCode = 'INVALID_CONFIG' | 'NO_SUCH_NETWORK' | 'START_FAILED';

/** Where the tether answers DNS inside a container on a user-defined network, as dockerd's embedded DNS. */
const EMBEDDED_DNS_ADDRESS = '127.0.0.11';

/** The network a container's NetworkMode names: `default` is `bridge`. */
function modeNetwork(config: ContainerCreateConfig): string {
  const mode = config.HostConfig?.NetworkMode || 'default';
  return mode === 'default' ? 'bridge' : mode;
}

/** Docker's MAC for an address: 02:42 and the address's four bytes. */
function macFor(address: number): string {
  return ['02', '42', ...[24, 16, 8, 0].map((shift) => ((address >>> shift) & 255).toString(16).padStart(2, '0'))].join(':');
}

/** The Engine API's name for a user-defined network's default-bridge-only features. */
function isUserDefined(network: NetworkRecord): boolean {
  return !network.predefined;
}

/** The NIC a container gets on a network: on its segment, and on its portgroup when it is a container network. */
function segmentNic(mac: string, network: NetworkRecord): SegmentNic {
  return { mac, group: network.segment!.group, port: network.segment!.port, ...(network.portgroup ? { portgroup: network.portgroup } : {}) };
}

/**
 * Joins containers to their networks when they start: an address on each (IPAM from the
 * network's subnet or ip-range, or the static one asked for), a NIC on each network's segment,
 * the published ports, and the names of the other containers on the same user-defined networks.
 * Addresses and ports are held while the container runs.
 */
export class ContainerNetworking {
  /** network ID -> address -> container ID. */
  private readonly addresses = new Map<string, Map<number, string>>();
  private readonly ports = new HostPorts();

  constructor(
    private readonly networks: NetworkStore,
    private readonly containers: () => ContainerRecord[],
  ) {}

  /** The networks a container joins, in order, with the settings asked for on each. */
  joined(config: ContainerCreateConfig): Result<{ network: NetworkRecord; settings: EndpointSettings }[], NetworkingErrorCode> {
    const mode = modeNetwork(config);
    if (mode === 'host') return fail('INVALID_CONFIG', 'network mode "host" is not supported by vic: each container is its own VM');
    if (mode.startsWith('container:')) return fail('INVALID_CONFIG', `network mode "${mode}" is not supported by vic: each container is its own VM`);
    const endpoints = config.NetworkingConfig?.EndpointsConfig ?? {};
    const names = [mode, ...Object.keys(endpoints).filter((n) => n !== mode && !(mode === 'bridge' && n === 'default'))];
    const joined = [];
    for (const name of names) {
      const found = this.networks.find(name);
      if (!found.ok) return fail('NO_SUCH_NETWORK', found.error.message);
      joined.push({ network: found.value, settings: endpoints[name] ?? (mode === 'bridge' ? endpoints.default : undefined) ?? {} });
    }
    if (joined.some((j) => j.network.driver === 'null') && joined.length > 1) {
      return fail('INVALID_CONFIG', 'Container cannot be connected to network endpoints: none');
    }
    return ok(joined);
  }

  /** Checks a create request's network options, as dockerd does at create. */
  check(config: ContainerCreateConfig): Result<void, NetworkingErrorCode> {
    const joined = this.joined(config);
    if (!joined.ok) return joined;
    for (const { network, settings } of joined.value) {
      const wanted = settings.IPAMConfig?.IPv4Address;
      if (!wanted) continue;
      if (!isUserDefined(network)) return fail('INVALID_CONFIG', 'user specified IP address is supported on user defined networks only');
      const address = parseAddress(wanted);
      if (address === null || !contains(parseSubnet(network.ipam!.subnet)!, address)) {
        return fail('INVALID_CONFIG', `no configured subnet or ip-range contain the IP address ${wanted}`);
      }
    }
    if (Object.keys(config.HostConfig?.PortBindings ?? {}).length > 0 && joined.value.some((j) => j.network.driver === 'null')) {
      return fail('INVALID_CONFIG', 'conflicting options: port publishing and the container type network mode');
    }
    const ports = requestedBindings(config, undefined);
    return ports.ok ? ok(undefined) : ports;
  }

  async attach(record: ContainerRecord, imageExposed: Record<string, object> | undefined): Promise<Result<NetworkAttachment, NetworkingErrorCode>> {
    const joined = this.joined(record.config);
    if (!joined.ok) return joined;
    const attachment: NetworkAttachment = {
      segments: [],
      interfaces: [],
      extraHosts: [],
      dns: { servers: record.config.HostConfig?.Dns ?? [], search: record.config.HostConfig?.DnsSearch ?? [] },
      state: { endpoints: {}, ports: [] },
    };
    let wayOut = false;
    for (const { network, settings } of joined.value) {
      if (network.driver === 'null') continue;
      const endpoint = this.allocate(record, network, settings);
      if (!endpoint.ok) {
        this.release(record.id);
        return endpoint;
      }
      const e = endpoint.value;
      attachment.state.endpoints[network.name] = e;
      attachment.segments.push(segmentNic(e.macAddress, network));
      attachment.interfaces.push({ mac: e.macAddress, addresses: [`${e.ipAddress}/${e.prefixLength}`] });
      if (!network.internal) wayOut = true;
    }
    attachment.extraHosts = this.hostsFor(record, attachment.state);
    if (joined.value.some((j) => isUserDefined(j.network))) {
      attachment.embeddedDns = { upstream: attachment.dns.servers };
      attachment.dns = { servers: [EMBEDDED_DNS_ADDRESS], search: attachment.dns.search };
    }
    if (wayOut) {
      const requested = requestedBindings(record.config, imageExposed);
      if (!requested.ok) {
        this.release(record.id);
        return requested;
      }
      const bound = await this.ports.allocate(record.id, requested.value);
      if (!bound.ok) {
        this.release(record.id);
        const endpointId = Object.values(attachment.state.endpoints)[0]?.endpointId ?? '';
        return fail('START_FAILED', `driver failed programming external connectivity on endpoint ${record.name} (${endpointId}): ${bound.error.message}`);
      }
      attachment.state.ports = bound.value;
      attachment.outbound = {
        forwards: bound.value.map((b) => ({ protocol: b.containerPort.endsWith('/udp') ? 'udp' : 'tcp', hostIp: b.hostIp, hostPort: b.hostPort, guestPort: Number(b.containerPort.split('/')[0]) })),
      };
    }
    return ok(attachment);
  }

  /** An address on one more network for a running container (`docker network connect`), and the NIC to reach it. */
  join(record: ContainerRecord, network: NetworkRecord, settings: EndpointSettings): Result<{ endpoint: EndpointState; nic: SegmentNic; iface: InterfaceConfig }, NetworkingErrorCode> {
    const endpoint = this.allocate(record, network, settings);
    if (!endpoint.ok) return endpoint;
    const e = endpoint.value;
    return ok({ endpoint: e, nic: segmentNic(e.macAddress, network), iface: { mac: e.macAddress, addresses: [`${e.ipAddress}/${e.prefixLength}`] } });
  }

  /** Lets go of a running container's address on one network (`docker network disconnect`). */
  leave(containerId: string, networkId: string): void {
    const taken = this.addresses.get(networkId);
    for (const [address, holder] of taken ?? []) if (holder === containerId) taken!.delete(address);
  }

  /** Holds again what a container taken over after an endpoint restart holds (its VM kept them). */
  restore(record: ContainerRecord): void {
    for (const endpoint of Object.values(record.state.network?.endpoints ?? {})) {
      const taken = this.addresses.get(endpoint.networkId) ?? new Map<number, string>();
      taken.set(parseAddress(endpoint.ipAddress)!, record.id);
      this.addresses.set(endpoint.networkId, taken);
    }
    this.ports.restore(record.id, record.state.network?.ports ?? []);
  }

  /** Lets go of a container's addresses and host ports: its VM is off. */
  release(containerId: string): void {
    for (const taken of this.addresses.values()) for (const [address, holder] of taken) if (holder === containerId) taken.delete(address);
    this.ports.release(containerId);
  }

  /** Containers holding an address on `networkId`. */
  attachedTo(networkId: string): string[] {
    return [...new Set(this.addresses.get(networkId)?.values() ?? [])];
  }

  private allocate(record: ContainerRecord, network: NetworkRecord, settings: EndpointSettings): Result<EndpointState, NetworkingErrorCode> {
    const ipam = network.ipam!;
    const subnet = parseSubnet(ipam.subnet)!;
    const range = ipam.ipRange ? parseSubnet(ipam.ipRange)! : subnet;
    const gateway = parseAddress(ipam.gateway)!;
    const taken = this.addresses.get(network.id) ?? new Map<number, string>();
    this.addresses.set(network.id, taken);
    const usable = (a: number) => a !== gateway && a !== subnet.base && a !== subnet.base + size(subnet) - 1 && !taken.has(a);
    let address: number | undefined;
    const wanted = settings.IPAMConfig?.IPv4Address;
    if (wanted) {
      address = parseAddress(wanted) ?? undefined;
      if (address === undefined || !usable(address)) return fail('START_FAILED', `Address already in use`);
    } else {
      for (let a = range.base; a < range.base + size(range); a++) {
        if (usable(a)) {
          address = a;
          break;
        }
      }
      if (address === undefined) return fail('START_FAILED', `no available IPv4 addresses on this network's address pools: ${network.name} (${network.id})`);
    }
    taken.set(address, record.id);
    return ok({
      networkId: network.id,
      endpointId: randomBytes(32).toString('hex'),
      ipAddress: formatAddress(address),
      prefixLength: subnet.prefix,
      gateway: ipam.gateway,
      macAddress: macFor(address),
      aliases: isUserDefined(network) ? [...(settings.Aliases ?? []), record.id.slice(0, 12)] : [],
    });
  }

  /**
   * A container's extra /etc/hosts lines: its own address under its hostname (as dockerd writes
   * it), the running containers on its user-defined networks, its links and its --add-host lines.
   */
  hostsFor(record: ContainerRecord, own: ContainerNetworkState): string[] {
    const first = Object.values(own.endpoints)[0];
    const self = first ? [`${first.ipAddress}\t${record.config.Hostname || record.id.slice(0, 12)}`] : [];
    return [...self, ...this.peerHosts(record, own), ...this.linkHosts(record), ...extraHostLines(record.config.HostConfig?.ExtraHosts ?? [])];
  }

  /** The running containers that share a user-defined network with a container holding `own`. */
  peersOf(containerId: string, own: ContainerNetworkState): ContainerRecord[] {
    const networks = new Set(Object.values(own.endpoints).filter((e) => this.isUserNetwork(e.networkId)).map((e) => e.networkId));
    return this.containers().filter((c) => c.id !== containerId && Object.values(c.state.network?.endpoints ?? {}).some((e) => networks.has(e.networkId)));
  }

  /** /etc/hosts lines for the running containers that share a user-defined network with this one. */
  private peerHosts(record: ContainerRecord, own: ContainerNetworkState): string[] {
    const lines: string[] = [];
    for (const peer of this.containers()) {
      if (peer.id === record.id || !peer.state.network) continue;
      for (const [name, endpoint] of Object.entries(peer.state.network.endpoints)) {
        const mine = own.endpoints[name];
        if (!mine || mine.networkId !== endpoint.networkId || !this.isUserNetwork(endpoint.networkId)) continue;
        lines.push(`${endpoint.ipAddress}\t${[peer.name, ...endpoint.aliases].join(' ')}`);
      }
    }
    return lines;
  }

  /** `--link name:alias`: the linked container's first address under the alias, its name and short ID. */
  private linkHosts(record: ContainerRecord): string[] {
    const lines: string[] = [];
    for (const link of record.config.HostConfig?.Links ?? []) {
      const [target, alias] = link.replace(/^\//, '').split(':');
      const peer = this.containers().find((c) => c.name === target || c.id === target);
      const endpoint = peer?.state.network && Object.values(peer.state.network.endpoints)[0];
      if (!peer || !endpoint) continue;
      const aliasName = alias?.split('/').pop();
      lines.push(`${endpoint.ipAddress}\t${[...(aliasName && aliasName !== peer.name ? [aliasName] : []), peer.id.slice(0, 12), peer.name].join(' ')}`);
    }
    return lines;
  }

  private isUserNetwork(networkId: string): boolean {
    const found = this.networks.find(networkId);
    return found.ok && isUserDefined(found.value);
  }
}

/** `--add-host name:ip` as /etc/hosts lines ("ip\tname"). */
function extraHostLines(entries: string[]): string[] {
  return entries.map((entry) => {
    const at = entry.indexOf(':');
    return `${entry.slice(at + 1)}\t${entry.slice(0, at)}`;
  });
}
