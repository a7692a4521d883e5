/**
 * The endpoint process of one VCH, as vic-machine starts it:
 *
 *   endpoint --name N --state-dir D --iso PATH --host H --port P [--tls-dir DIR [--no-tlsverify]] [--insecure-registry X ...] [--volume-store LABEL=DIR ...]
 *            [--bridge-network-range CIDR]
 *
 * With --tls-dir it serves TLS from DIR/server-cert.pem and DIR/server-key.pem and requires client
 * certificates signed by a CA in DIR/ca.pem; with --no-tlsverify too, it requires none. Once listening it prints one line, LISTENING_PREFIX followed by
 * the DOCKER_HOST it serves (the real port when P is 0), which is how vic-machine learns it is up.
 * SIGTERM or SIGINT closes the server. Container VMs keep running (dockerd's live-restore), and
 * the next endpoint over the same state directory takes them over; `vic-machine delete` ends them.
 *
 * Refusing plain HTTP on a non-loopback address is vic-machine's rule (checked before it makes
 * anything); this process trusts the arguments it was started with.
 *
 * With --vsphere-url the container VMs run in vSphere (the vSphere port layer) instead of as local
 * QEMU processes:
 *
 *   --vsphere-url https://HOST/sdk --vsphere-credentials FILE (JSON {"username","password"}: a
 *   password in argv would show in ps) [--vsphere-thumbprint T | --vsphere-insecure]
 *   --vsphere-datacenter PATH --vsphere-pool TYPE:VALUE (the VCH's resource pool or vApp; a moref,
 *   since vcsim's vApps have no inventory path) --vsphere-datastore DS --vsphere-store-folder F
 *   --vsphere-channel-host ADDRESS (where container VMs dial the endpoint's channel listeners)
 *   [--vsphere-bridge-network NET] (the bridge network's portgroup, a name in the datacenter's
 *   network folder or an inventory path: Docker's
 *   networks are IP networks on it; without one, containers can be on no network but none)
 *
 * On vSphere --iso may be left out when the bootstrap ISO is already in the store folder (vic-machine
 * uploads it there before it creates the appliance, which has no local copy).
 *
 * --log-level debug (vic-machine debug) logs every API request with its status; info (the default)
 * logs only the lifecycle lines.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { moref, nicBackingFor, normalizeThumbprint, requireByInventoryPath, VimSession, type CertificatePolicy } from '@vic/vsphere';
import type { ServerTls } from './api/api-server';
import { storeFileExists, storePath } from './portlayer/vsphere/datastore-files';
import type { VsphereTarget } from './portlayer/vsphere/vsphere-target';
import { startVchEndpoint, type VchEndpoint } from './vch-endpoint';

/** vic-machine waits for this line in the endpoint log (apps/vic-machine/src/endpoint-process.ts). */
const LISTENING_PREFIX = 'vic endpoint listening on ';
/** Open attach streams can hold server.close() forever; after this the process exits regardless. */
const CLOSE_TIMEOUT_MS = 10_000;

function usageError(message: string): never {
  console.error(`endpoint: ${message}`);
  console.error('usage: endpoint --name N --state-dir D --iso PATH --host H --port P [--tls-dir DIR [--no-tlsverify]] [--insecure-registry X ...] [--volume-store LABEL=DIR ...] [--bridge-network-range CIDR]');
  process.exit(2);
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') usageError(`--${name} is required`);
  return value;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usageError(`--port ${text} is not a port number (0-65535)`);
  return port;
}

/** The endpoint's certificate, key and the CA its clients' certificates must be signed by. */
function readTls(dir: string, verifyClients: boolean): ServerTls {
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch (error) {
      usageError(`cannot read ${join(dir, file)}: ${(error as Error).message}`);
    }
  };
  return { cert: read('server-cert.pem'), key: read('server-key.pem'), ...(verifyClients ? { clientCas: read('ca.pem') } : {}) };
}

/** `--volume-store LABEL=DIR`, as vic-machine passes each of its `--volume-store DIR:LABEL`. */
function parseVolumeStores(specs: string[]): Record<string, string> {
  const stores: Record<string, string> = {};
  for (const spec of specs) {
    const equals = spec.indexOf('=');
    if (equals <= 0 || !spec.slice(equals + 1).startsWith('/')) usageError(`--volume-store ${spec} is not LABEL=/absolute/dir`);
    stores[spec.slice(0, equals)] = spec.slice(equals + 1);
  }
  return stores;
}

async function closeWithin(endpoint: VchEndpoint, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      console.error(`endpoint: the server did not close within ${timeoutMs / 1000} s; exiting anyway`);
      resolve();
    }, timeoutMs);
  });
  await Promise.race([endpoint.close(), timedOut]);
  clearTimeout(timer);
}

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    'state-dir': { type: 'string' },
    iso: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'tls-dir': { type: 'string' },
    'no-tlsverify': { type: 'boolean' },
    'insecure-registry': { type: 'string', multiple: true },
    'volume-store': { type: 'string', multiple: true },
    'bridge-network-range': { type: 'string' },
    'vsphere-url': { type: 'string' },
    'vsphere-credentials': { type: 'string' },
    'vsphere-thumbprint': { type: 'string' },
    'vsphere-insecure': { type: 'boolean' },
    'vsphere-datacenter': { type: 'string' },
    'vsphere-pool': { type: 'string' },
    'vsphere-datastore': { type: 'string' },
    'vsphere-store-folder': { type: 'string' },
    'vsphere-channel-host': { type: 'string' },
    'vsphere-bridge-network': { type: 'string' },
    'vsphere-container-network': { type: 'string', multiple: true },
    'vsphere-volume-store': { type: 'string', multiple: true },
    'log-level': { type: 'string' },
  },
  strict: true,
});

interface ContainerNetworkFlag {
  portgroup: string;
  alias: string;
  subnet: string;
  gateway: string;
  ipRange?: string;
}

/** `--vsphere-container-network '{"portgroup","alias","subnet","gateway","ipRange"?}'`, as vic-machine writes them. */
const containerNetworks = (values['vsphere-container-network'] ?? []).map((text): ContainerNetworkFlag => {
  try {
    return JSON.parse(text) as ContainerNetworkFlag;
  } catch (error) {
    usageError(`--vsphere-container-network ${text}: ${(error as Error).message}`);
  }
});

/**
 * `--vsphere-volume-store '{"label","datastore","path"}'` (vic-machine's --volume-store on vSphere):
 * the store keeps its VMDKs in that datastore folder, and the endpoint's volume store of that label
 * its freshly formatted disks in a local folder of the VCH.
 */
const vsphereVolumeStores = (values['vsphere-volume-store'] ?? []).map((text) => {
  let store: { label?: unknown; datastore?: unknown; path?: unknown };
  try {
    store = JSON.parse(text) as typeof store;
  } catch (error) {
    usageError(`--vsphere-volume-store ${text}: ${(error as Error).message}`);
  }
  if (typeof store.label !== 'string' || typeof store.datastore !== 'string' || typeof store.path !== 'string') usageError(`--vsphere-volume-store ${text} must hold {"label","datastore","path"}`);
  return { label: store.label, datastore: store.datastore, folder: store.path, localDir: join(required(values, 'state-dir'), 'volumes', 'stores', store.label) };
});

/** A network's inventory path: as given when it has one, else the name in the datacenter's network folder. */
function networkPath(datacenterPath: string, network: string): string {
  return network.includes('/') ? network : `${datacenterPath}/network/${network}`;
}

/** Logs in to vSphere and finds the VCH's place there, from the --vsphere-* flags. */
async function vsphereTarget(url: string): Promise<VsphereTarget> {
  const credentialsFile = required(values, 'vsphere-credentials');
  let credentials: { username?: unknown; password?: unknown };
  try {
    credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as typeof credentials;
  } catch (error) {
    usageError(`cannot read the vSphere credentials in ${credentialsFile}: ${(error as Error).message}`);
  }
  if (typeof credentials.username !== 'string' || typeof credentials.password !== 'string') usageError(`${credentialsFile} must hold {"username": ..., "password": ...}`);
  const thumbprint = values['vsphere-thumbprint'];
  const certificate: CertificatePolicy = thumbprint ? { kind: 'thumbprint', thumbprint: normalizeThumbprint(thumbprint) } : values['vsphere-insecure'] ? { kind: 'insecure' } : { kind: 'ca' };
  const [poolType, poolValue] = required(values, 'vsphere-pool').split(/:(.*)/s);
  if (!poolValue || (poolType !== 'ResourcePool' && poolType !== 'VirtualApp')) usageError('--vsphere-pool must be ResourcePool:<moref> or VirtualApp:<moref>');
  const datacenterPath = required(values, 'vsphere-datacenter');
  const session = await VimSession.login({ url, username: credentials.username, password: credentials.password, certificate });
  const bridgeNetwork = values['vsphere-bridge-network'];
  return {
    session,
    datacenterPath,
    datacenter: await requireByInventoryPath(session, datacenterPath, 'datacenter'),
    vmFolder: await requireByInventoryPath(session, `${datacenterPath}/vm`, 'folder'),
    pool: moref(poolType, poolValue),
    datastore: required(values, 'vsphere-datastore'),
    storeFolder: required(values, 'vsphere-store-folder'),
    channelHost: required(values, 'vsphere-channel-host'),
    ...(bridgeNetwork ? { bridgeNetwork: await nicBackingFor(session, await requireByInventoryPath(session, networkPath(datacenterPath, bridgeNetwork), 'network')) } : {}),
    volumeStores: vsphereVolumeStores.map(({ localDir, datastore, folder }) => ({ localDir, datastore, folder })),
    containerNetworks: Object.fromEntries(
      await Promise.all(
        containerNetworks.map(async (network) => [network.portgroup, await nicBackingFor(session, await requireByInventoryPath(session, networkPath(datacenterPath, network.portgroup), 'network'))] as const),
      ),
    ),
  };
}

const tlsDir = values['tls-dir'];
const name = required(values, 'name');
const host = required(values, 'host');
const port = parsePort(required(values, 'port'));
const logLevel = values['log-level'] ?? 'info';
if (logLevel !== 'info' && logLevel !== 'debug') usageError(`--log-level ${logLevel} is not one of info, debug`);
const vsphereUrl = values['vsphere-url'];
const vsphere = vsphereUrl
  ? await vsphereTarget(vsphereUrl).catch((error: Error) => {
      console.error(`endpoint: VCH ${name} cannot reach vSphere at ${vsphereUrl}: ${error.message}`);
      process.exit(1);
    })
  : undefined;
const iso = values.iso ?? (vsphere ? await bootstrapIsoInStore(vsphere) : required(values, 'iso'));
const endpoint = await startVchEndpoint({
  name,
  stateDir: required(values, 'state-dir'),
  iso,
  host,
  port,
  ...(tlsDir ? { tls: readTls(tlsDir, !values['no-tlsverify']) } : {}),
  insecureRegistries: values['insecure-registry'] ?? [],
  volumeStores: { ...Object.fromEntries(vsphereVolumeStores.map((store) => [store.label, store.localDir])), ...parseVolumeStores(values['volume-store'] ?? []) },
  liveRestore: true,
  ...(values['bridge-network-range'] ? { bridgeNetworkRange: values['bridge-network-range'] } : {}),
  ...(vsphere ? { vsphere } : {}),
  containerNetworks: containerNetworks.map(({ portgroup, alias, subnet, gateway, ipRange }) => ({ alias, portgroup, ipam: { subnet, gateway, ...(ipRange ? { ipRange } : {}) } })),
}).catch((error: Error) => {
  console.error(`endpoint: VCH ${name} cannot serve on ${host}:${port}: ${error.message}`);
  process.exit(1);
});
console.log(`${LISTENING_PREFIX}${endpoint.dockerHost}`);
if (logLevel === 'debug') logRequests(endpoint);

/**
 * Without --iso on vSphere the bootstrap ISO must be in the store already. The port layer uploads
 * the ISO only when it is missing, so the path it is given then is never read.
 */
async function bootstrapIsoInStore(target: VsphereTarget): Promise<string> {
  const inStore = storePath(target, 'bootstrap.iso');
  const found = await storeFileExists(target, 'bootstrap.iso').catch((error: Error) => usageError(`cannot look for ${inStore}: ${error.message}`));
  if (!found) usageError(`--iso is required: the bootstrap ISO is not in the store at ${inStore}`);
  return inStore;
}

/** One line per API request once it is answered (the raw server's events: fastify takes no hooks once listening). */
function logRequests({ server }: VchEndpoint): void {
  server.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const started = Date.now();
    response.once('finish', () => console.log(`endpoint: debug: ${request.method} ${request.url} -> ${response.statusCode} (${Date.now() - started} ms)`));
  });
}

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`endpoint: ${signal}: closing the server; container VMs keep running`);
  await closeWithin(endpoint, CLOSE_TIMEOUT_MS);
  process.exit(0);
}
process.on('SIGTERM', (signal) => void stop(signal));
process.on('SIGINT', (signal) => void stop(signal));
