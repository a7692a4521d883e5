import type { VchLimits, VolumeStore } from './vsphere-vch';

/**
 * The VCH's configuration as the endpoint VM's extraConfig keeps it, under VIC's `guestinfo.vice./`
 * prefix, so `ls` and `inspect` find a VCH from the inventory alone, as VIC's did. These keys hold
 * no secret (guestinfo is readable by anyone who can read the VM's config); the appliance's own
 * configuration next to them does (appliance-config.ts says why).
 */
export const RECORD_KEYS = {
  name: 'guestinfo.vice./common/name',
  createdAt: 'guestinfo.vice./common/created',
  targetUrl: 'guestinfo.vice./connect/target_url',
  imageStore: 'guestinfo.vice./storage/image_store',
  volumeStores: 'guestinfo.vice./storage/volume_stores',
  publicNetwork: 'guestinfo.vice./network/public',
  bridgeNetwork: 'guestinfo.vice./network/bridge',
  cpuLimit: 'guestinfo.vice./resources/cpu_limit_mhz',
  memoryLimit: 'guestinfo.vice./resources/memory_limit_mb',
  dockerHost: 'guestinfo.vice./endpoint/docker_host',
  tls: 'guestinfo.vice./endpoint/tls',
  /** "true" with --no-tlsverify; absent otherwise. */
  noTlsVerify: 'guestinfo.vice./endpoint/no_tlsverify',
  tlsCname: 'guestinfo.vice./endpoint/tls_cname',
  /** Set by `vic-machine debug`. */
  logLevel: 'guestinfo.vice./debug/log_level',
} as const;

export interface VchRecord {
  readonly name: string;
  readonly createdAt: string;
  readonly targetUrl: string;
  /** ds://datastore/folder, as VIC wrote store URLs. */
  readonly imageStore: string;
  readonly volumeStores: readonly VolumeStore[];
  readonly publicNetwork: string;
  readonly bridgeNetwork?: string;
  readonly limits: VchLimits;
  readonly dockerHost: string;
  readonly tls: boolean;
  /** With TLS: clients need no certificate (--no-tlsverify). */
  readonly noTlsVerify?: true;
  readonly tlsCname?: string;
}

const UNLIMITED = 'unlimited';

/** The volume stores as recorded: `label:ds://datastore/path`, comma separated. */
export const recordVolumeStores = (stores: readonly VolumeStore[]): string => stores.map((store) => `${store.label}:ds://${store.datastore}/${store.path}`).join(',');

export function recordExtraConfig(record: VchRecord): Record<string, string> {
  return {
    [RECORD_KEYS.name]: record.name,
    [RECORD_KEYS.createdAt]: record.createdAt,
    [RECORD_KEYS.targetUrl]: record.targetUrl,
    [RECORD_KEYS.imageStore]: record.imageStore,
    ...(record.volumeStores.length === 0 ? {} : { [RECORD_KEYS.volumeStores]: recordVolumeStores(record.volumeStores) }),
    [RECORD_KEYS.publicNetwork]: record.publicNetwork,
    ...(record.bridgeNetwork === undefined ? {} : { [RECORD_KEYS.bridgeNetwork]: record.bridgeNetwork }),
    ...limitsExtraConfig(record.limits),
    [RECORD_KEYS.dockerHost]: record.dockerHost,
    [RECORD_KEYS.tls]: String(record.tls),
    ...(record.noTlsVerify ? { [RECORD_KEYS.noTlsVerify]: 'true' } : {}),
    ...(record.tlsCname === undefined ? {} : { [RECORD_KEYS.tlsCname]: record.tlsCname }),
  };
}

/** Only the limit keys, for `configure`. */
export function limitsExtraConfig(limits: VchLimits): Record<string, string> {
  return {
    [RECORD_KEYS.cpuLimit]: limits.cpuMHz === undefined ? UNLIMITED : String(limits.cpuMHz),
    [RECORD_KEYS.memoryLimit]: limits.memoryMB === undefined ? UNLIMITED : String(limits.memoryMB),
  };
}

/** The record an endpoint VM's extraConfig holds, or undefined when the VM is not a VCH's endpoint. */
export function readRecord(extraConfig: Readonly<Record<string, string>>): VchRecord | undefined {
  const name = extraConfig[RECORD_KEYS.name];
  if (name === undefined || name === '') return undefined;
  const limit = (key: string): number | undefined => {
    const text = extraConfig[key];
    return text === undefined || text === UNLIMITED ? undefined : Number(text);
  };
  const cpuMHz = limit(RECORD_KEYS.cpuLimit);
  const memoryMB = limit(RECORD_KEYS.memoryLimit);
  const bridgeNetwork = extraConfig[RECORD_KEYS.bridgeNetwork];
  const tlsCname = extraConfig[RECORD_KEYS.tlsCname];
  return {
    name,
    createdAt: extraConfig[RECORD_KEYS.createdAt] ?? '',
    targetUrl: extraConfig[RECORD_KEYS.targetUrl] ?? '',
    imageStore: extraConfig[RECORD_KEYS.imageStore] ?? '',
    volumeStores: parseVolumeStores(extraConfig[RECORD_KEYS.volumeStores] ?? ''),
    publicNetwork: extraConfig[RECORD_KEYS.publicNetwork] ?? '',
    ...(bridgeNetwork === undefined ? {} : { bridgeNetwork }),
    limits: { ...(cpuMHz === undefined ? {} : { cpuMHz }), ...(memoryMB === undefined ? {} : { memoryMB }) },
    dockerHost: extraConfig[RECORD_KEYS.dockerHost] ?? '',
    tls: extraConfig[RECORD_KEYS.tls] === 'true',
    ...(extraConfig[RECORD_KEYS.noTlsVerify] === 'true' ? { noTlsVerify: true as const } : {}),
    ...(tlsCname === undefined ? {} : { tlsCname }),
  };
}

function parseVolumeStores(text: string): VolumeStore[] {
  return text
    .split(',')
    .filter(Boolean)
    .flatMap((entry) => {
      const match = /^([^:]+):ds:\/\/([^/]+)\/(.*)$/.exec(entry);
      return match ? [{ label: match[1]!, datastore: match[2]!, path: match[3]! }] : [];
    });
}
