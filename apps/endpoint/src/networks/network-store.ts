import { randomBytes, randomInt } from 'node:crypto';
import { fail, ok, type Result } from '@vic/imagec';
import { JsonRecordDirectory } from '../state/json-record-directory';
import { formatAddress, formatSubnet, nthSubnet, overlaps, parseSubnet, type Subnet } from './ipv4';
import type { ContainerNetworkSpec, NetworkIpam, NetworkRecord, SegmentAddress } from './network-record';

/** VIC's default bridge network range: 172.16.0.0/12, split into /16s, the first for `bridge`. */
export const DEFAULT_BRIDGE_RANGE = '172.16.0.0/12';
const POOL_PREFIX = 16;

export type NetworkErrorCode = 'NO_SUCH_NETWORK' | 'INVALID_CONFIG' | 'CONFLICT' | 'FORBIDDEN';

/**
 * A network's wire is a multicast group on loopback. Drawn at random from the organisation-local
 * scope (239.255/16) so two VCHs on one host, each with its own `bridge`, never share a segment.
 */
function newSegment(): SegmentAddress {
  return { group: `239.255.${randomInt(1, 255)}.${randomInt(1, 255)}`, port: randomInt(20_000, 60_000) };
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

function ipamFor(subnet: Subnet): NetworkIpam {
  return { subnet: formatSubnet(subnet), gateway: formatAddress(subnet.base + 1) };
}

/** The VCH's networks: the predefined `bridge` and `none`, its container networks, and user-defined bridge networks. */
export class NetworkStore {
  private constructor(
    private readonly records: JsonRecordDirectory<NetworkRecord>,
    readonly pool: Subnet,
  ) {}

  static async open(dir: string, bridgeRange = DEFAULT_BRIDGE_RANGE, containerNetworks: ContainerNetworkSpec[] = []): Promise<NetworkStore> {
    const pool = parseSubnet(bridgeRange);
    if (!pool || pool.prefix > POOL_PREFIX) throw new Error(`bridge network range ${bridgeRange} must be an IPv4 CIDR of at most /${POOL_PREFIX}`);
    const store = new NetworkStore(await JsonRecordDirectory.open<NetworkRecord>(dir), pool);
    const created = new Date().toISOString();
    const predefined = { internal: false, attachable: false, labels: {}, options: {}, predefined: true, created };
    if (!store.byName('bridge')) {
      await store.records.put({ ...predefined, id: newId(), name: 'bridge', driver: 'bridge', segment: newSegment(), ipam: ipamFor(nthSubnet(pool, POOL_PREFIX, 0)!) });
    }
    if (!store.byName('none')) await store.records.put({ ...predefined, id: newId(), name: 'none', driver: 'null' });
    for (const network of containerNetworks) {
      const existing = store.byName(network.alias);
      if (existing && !existing.portgroup) throw new Error(`container network ${network.alias}: a network of that name exists already`);
      // The VCH's configuration decides: a changed portgroup or range replaces what was kept.
      await store.records.put({ ...predefined, id: existing?.id ?? newId(), name: network.alias, driver: 'bridge', segment: existing?.segment ?? newSegment(), ipam: network.ipam, portgroup: network.portgroup });
    }
    return store;
  }

  all(): NetworkRecord[] {
    return this.records.all();
  }

  byName(name: string): NetworkRecord | undefined {
    return this.all().find((n) => n.name === name);
  }

  /** By full ID, name, or unique ID prefix, as dockerd finds networks. */
  find(input: string): Result<NetworkRecord, NetworkErrorCode> {
    const found = this.records.get(input) ?? this.byName(input) ?? this.uniquePrefix(input);
    return found ? ok(found) : fail('NO_SUCH_NETWORK', `network ${input} not found`);
  }

  /** The first /16 of the pool that no network's subnet overlaps. */
  freeSubnet(): Subnet | null {
    const taken = this.all().flatMap((n) => (n.ipam ? [parseSubnet(n.ipam.subnet)!] : []));
    for (let i = 0; ; i++) {
      const candidate = nthSubnet(this.pool, POOL_PREFIX, i);
      if (!candidate) return null;
      if (!taken.some((t) => overlaps(t, candidate))) return candidate;
    }
  }

  async create(input: Omit<NetworkRecord, 'id' | 'created' | 'segment' | 'predefined' | 'driver' | 'ipam'> & { ipam?: NetworkIpam }): Promise<Result<NetworkRecord, NetworkErrorCode>> {
    let ipam = input.ipam;
    if (!ipam) {
      const subnet = this.freeSubnet();
      if (!subnet) return fail('FORBIDDEN', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
      ipam = ipamFor(subnet);
    }
    const record: NetworkRecord = { ...input, ipam, id: newId(), created: new Date().toISOString(), driver: 'bridge', segment: newSegment(), predefined: false };
    await this.records.put(record);
    return ok(record);
  }

  remove(id: string): Promise<void> {
    return this.records.remove(id);
  }

  private uniquePrefix(input: string): NetworkRecord | undefined {
    const matches = this.all().filter((n) => n.id.startsWith(input));
    return matches.length === 1 ? matches[0] : undefined;
  }
}
