import { APPLIANCE_GUESTINFO_KEY, type ApplianceConfig } from '@vic/protocol';
import type { MoRef } from '@vic/vsphere';
import { VicMachineError } from '../errors';
import { PLAIN_PORT, TLS_PORT, type LogLevel } from '../options';
import type { ContainerNetwork } from './container-network-flag';
import type { PublicNetworkAddress } from './public-network-flag';
import type { VolumeStore } from './vsphere-vch';

/** Where the appliance keeps what the endpoint reads: its state on the data disk (mounted at /var/lib/vic), its secrets under /etc/vic. */
const STATE_DIR = '/var/lib/vic/state';
const TLS_DIR = '/etc/vic/tls';
const CREDENTIALS_FILE = '/etc/vic/vsphere-credentials.json';

/** The endpoint's TLS material, as its --tls-dir holds it. */
export interface ServerTlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Everything the appliance's endpoint is started with. */
export interface ApplianceSettings {
  readonly name: string;
  readonly network: PublicNetworkAddress;
  /** Absent with --no-tls. */
  readonly tls?: { readonly files: ServerTlsFiles; readonly verifyClients: boolean };
  readonly insecureRegistries: readonly string[];
  readonly vsphere: {
    readonly sdkUrl: string;
    readonly username: string;
    readonly password: string;
    readonly thumbprint?: string;
    readonly insecure: boolean;
    readonly datacenter: string;
    readonly pool: MoRef;
    readonly datastore: string;
    readonly storeFolder: string;
    readonly bridgeNetwork?: string;
    readonly containerNetworks: readonly ContainerNetwork[];
    readonly volumeStores: readonly VolumeStore[];
  };
}

/** The port the appliance's endpoint serves docker on: Docker's conventional one. */
export const appliancePort = (tls: boolean): number => (tls ? TLS_PORT : PLAIN_PORT);

const volumeStoreArgs = (stores: readonly VolumeStore[]): string[] =>
  stores.flatMap((store) => ['--vsphere-volume-store', JSON.stringify({ label: store.label, datastore: store.datastore, path: store.path })]);

/**
 * The appliance's guestinfo: its static address, the files its boot program writes before the
 * endpoint starts, and the endpoint's arguments (apps/endpoint/src/main.ts). The vSphere password
 * is among the files, so it is in the endpoint VM's extraConfig: whoever can read the VM's
 * configuration can read it. VIC's appliance kept its credentials in guestinfo the same way; the
 * endpoint needs a login to manage the container VMs, and guestinfo is the one channel into the
 * VM that vSphere offers before it has a network.
 */
export function applianceConfig(settings: ApplianceSettings): ApplianceConfig {
  const { vsphere, tls } = settings;
  const files: Record<string, string> = { [CREDENTIALS_FILE]: JSON.stringify({ username: vsphere.username, password: vsphere.password }) };
  if (tls) {
    files[`${TLS_DIR}/ca.pem`] = tls.files.ca;
    files[`${TLS_DIR}/server-cert.pem`] = tls.files.cert;
    files[`${TLS_DIR}/server-key.pem`] = tls.files.key;
  }
  const { address, gateway, dns } = settings.network;
  return {
    network: { address, ...(gateway === undefined ? {} : { gateway }), ...(dns === undefined ? {} : { dns }) },
    files,
    endpointArgs: [
      '--name', settings.name,
      '--state-dir', STATE_DIR,
      // Every interface: the public NIC is where docker comes from, and its address is the appliance's own business.
      '--host', '0.0.0.0',
      '--port', String(appliancePort(tls !== undefined)),
      ...(tls ? ['--tls-dir', TLS_DIR, ...(tls.verifyClients ? [] : ['--no-tlsverify'])] : []),
      ...settings.insecureRegistries.flatMap((registry) => ['--insecure-registry', registry]),
      '--vsphere-url', vsphere.sdkUrl,
      '--vsphere-credentials', CREDENTIALS_FILE,
      ...(vsphere.thumbprint ? ['--vsphere-thumbprint', vsphere.thumbprint] : []),
      ...(vsphere.insecure ? ['--vsphere-insecure'] : []),
      '--vsphere-datacenter', vsphere.datacenter,
      '--vsphere-pool', `${vsphere.pool.type}:${vsphere.pool.value}`,
      '--vsphere-datastore', vsphere.datastore,
      '--vsphere-store-folder', vsphere.storeFolder,
      // Container VMs dial the endpoint's channel listeners at the appliance's public address.
      '--vsphere-channel-host', settings.network.ip,
      ...(vsphere.bridgeNetwork ? ['--vsphere-bridge-network', vsphere.bridgeNetwork] : []),
      ...vsphere.containerNetworks.flatMap((network) => ['--vsphere-container-network', JSON.stringify(network)]),
      ...volumeStoreArgs(vsphere.volumeStores),
    ],
  };
}

export const applianceExtraConfig = (config: ApplianceConfig): Record<string, string> => ({ [APPLIANCE_GUESTINFO_KEY]: JSON.stringify(config) });

/** The appliance configuration an endpoint VM's extraConfig holds. */
export function readApplianceConfig(name: string, extraConfig: Readonly<Record<string, string>>): ApplianceConfig {
  const text = extraConfig[APPLIANCE_GUESTINFO_KEY];
  if (text === undefined) throw new VicMachineError(`VCH ${name}: its endpoint VM has no ${APPLIANCE_GUESTINFO_KEY}; it was not made by this vic-machine (delete and create it again)`);
  let config: Partial<ApplianceConfig>;
  try {
    config = JSON.parse(text) as Partial<ApplianceConfig>;
  } catch (error) {
    throw new VicMachineError(`VCH ${name}: ${APPLIANCE_GUESTINFO_KEY} of its endpoint VM is not JSON (${(error as Error).message})`);
  }
  if (typeof config.network?.address !== 'string' || typeof config.files !== 'object' || config.files === null || !Array.isArray(config.endpointArgs)) {
    throw new VicMachineError(`VCH ${name}: ${APPLIANCE_GUESTINFO_KEY} of its endpoint VM is not an appliance configuration`);
  }
  return config as ApplianceConfig;
}

/** The configuration with more volume stores for the endpoint. */
export const withVolumeStores = (config: ApplianceConfig, stores: readonly VolumeStore[]): ApplianceConfig => ({
  ...config,
  endpointArgs: [...config.endpointArgs, ...volumeStoreArgs(stores)],
});

/** The configuration with the endpoint's log level set (info is the endpoint's default: no flag). */
export function withLogLevel(config: ApplianceConfig, level: LogLevel): ApplianceConfig {
  const args = [...config.endpointArgs];
  const at = args.indexOf('--log-level');
  if (at !== -1) args.splice(at, 2);
  return { ...config, endpointArgs: level === 'debug' ? [...args, '--log-level', 'debug'] : args };
}

/** The endpoint's log level as the configuration sets it. */
export function logLevelOf(config: ApplianceConfig): LogLevel {
  const at = config.endpointArgs.indexOf('--log-level');
  return at !== -1 && config.endpointArgs[at + 1] === 'debug' ? 'debug' : 'info';
}
