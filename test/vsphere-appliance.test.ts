import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { APPLIANCE_GUESTINFO_KEY, type ApplianceConfig } from '@vic/protocol';
import {
  cdrom,
  createVm,
  datastorePath,
  deviceConfigSpec,
  disk,
  fileSerialPort,
  makeDirectory,
  nicBackingFor,
  powerOffVm,
  powerOnVm,
  pvscsiController,
  requireByInventoryPath,
  uploadFile,
  VimSession,
  vmxnet3,
  type MoRef,
} from '../packages/vsphere/src/index';
import { createCertificates } from '../apps/vic-machine/src/certificates';
import { vchLayout } from '../apps/vic-machine/src/vch-layout';
import { ensureApplianceIso, ensureBootstrapIso } from './support/bootstrap-iso';
import { dockerCli } from './support/docker-cli';
import { EsxHostStandIn } from './support/esx-host/esx-host';
import { PublicNetwork } from './support/esx-host/public-network';
import { startVcsim, type Vcsim } from './support/vcsim';
import { vcsimThumbprint } from './support/vsphere-vic-machine';

/*
 * The VCH appliance on its own, made by hand as the contract in packages/protocol/src/appliance-
 * config.ts says (vic-machine is not in this test): appliance.iso and bootstrap.iso uploaded through
 * the datastore HTTP API, a VM with the ISO on its CD-ROM, its console in a file on the datastore,
 * a blank data disk at scsi0:0 on a PVSCSI controller, its public vmxnet3 on "VM Network" and a
 * second on the bridge portgroup (the containers' Docker networks are there), its
 * ApplianceConfig in guestinfo. vcsim is vSphere; EsxHostStandIn boots the VMs in QEMU, the
 * appliance's NIC on the harness's public network (a host bridge), where vcsim listens too. Then the
 * real docker CLI talks TLS to the endpoint inside the appliance, a container VM (booted by the
 * harness) dials the appliance's channel listener, and after a power cycle the image is still
 * there: the endpoint's state is on the data disk.
 */

/** The harness's public network 192.168.<subnet>.0/24 (the host at .1); other tests use other subnets. */
const SUBNET = 79;
const APPLIANCE_IP = `192.168.${SUBNET}.10`;
const DOCKER_PORT = 2376;
const STORE_FOLDER = 'vch-appliance';
/** Booting the appliance under TCG, on 2 shared cores: 20-40 s when idle. */
const ANSWER_TIMEOUT_MS = 240_000;
const POWER_OFF_TIMEOUT_MS = 30_000;

let network: PublicNetwork;
let vcsim: Vcsim;
let session: VimSession;
let host: EsxHostStandIn;
let work: string;
let appliance: MoRef;
let consoleFile: string;

const certs = () => join(work, 'vch', 'certs');
const docker = (...args: string[]) =>
  dockerCli(`tcp://${APPLIANCE_IP}:${DOCKER_PORT}`, join(work, 'docker-config'), args, { timeoutMs: 240_000, env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs() } });

/** What went wrong, with what the appliance said on its console. */
function diagnostics(): string {
  const tail = consoleFile && existsSync(consoleFile) ? readFileSync(consoleFile, 'utf8').slice(-4000) : '(no console file)';
  return `harness: ${host?.errors.map((error) => error.message).join('; ') || 'no errors'}\nappliance console (tail):\n${tail}`;
}

async function ok(...args: string[]): Promise<string> {
  const result = await docker(...args);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}: ${result.stderr}\n${diagnostics()}`);
  return result.stdout;
}

/** GET /_ping over TLS with the client certificate, as docker would; the answer's body, or why there is none. */
function ping(): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      {
        host: APPLIANCE_IP,
        port: DOCKER_PORT,
        path: '/_ping',
        ca: readFileSync(join(certs(), 'ca.pem')),
        cert: readFileSync(join(certs(), 'cert.pem')),
        key: readFileSync(join(certs(), 'key.pem')),
        timeout: 5_000,
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${response.statusCode}`))));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

/** Polls /_ping until the endpoint in the appliance answers, bounded. */
async function waitForEndpoint(): Promise<void> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if ((await ping()) === 'OK') return;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(2_000);
  }
  throw new Error(`the appliance's endpoint did not answer at ${APPLIANCE_IP}:${DOCKER_PORT} within ${ANSWER_TIMEOUT_MS / 1000} s (last: ${last})\n${diagnostics()}`);
}

async function upload(datastoreDir: string, local: string, path: string): Promise<void> {
  await uploadFile(session, { datacenterPath: 'DC0', datastore: 'LocalDS_0', path }, { stream: createReadStream(local), size: statSync(local).size });
  // The oracle: vcsim's datastore is a local folder.
  expect(statSync(join(datastoreDir, path)).size).toBe(statSync(local).size);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-vsphere-appliance-'));
  network = PublicNetwork.create({ portgroup: 'VM Network', subnet: SUBNET });
  const [started, bootstrap, applianceIso] = await Promise.all([startVcsim({ listen: network.hostAddress }), ensureBootstrapIso(), ensureApplianceIso()]);
  vcsim = started;
  session = await VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
  host = EsxHostStandIn.start(vcsim, session, join(work, 'esx'), { publicNetwork: network });

  const datacenter = await requireByInventoryPath(session, 'DC0', 'datacenter');
  const datastoreDir = (await vcsim.inventory()).datastores.find((store) => store.name === 'LocalDS_0')!.url;
  await makeDirectory(session, datastorePath('LocalDS_0', `${STORE_FOLDER}/appliance`), datacenter);
  await upload(datastoreDir, applianceIso, `${STORE_FOLDER}/appliance.iso`);
  await upload(datastoreDir, bootstrap.iso, `${STORE_FOLDER}/bootstrap.iso`);
  consoleFile = join(datastoreDir, STORE_FOLDER, 'appliance', 'console.log');

  const layout = vchLayout(work, 'vch');
  mkdirSync(layout.dir);
  await createCertificates(layout, APPLIANCE_IP, { cname: APPLIANCE_IP, verifyClients: true, clientCas: [] });
  const pool = await requireByInventoryPath(session, 'DC0/host/DC0_C0/Resources', 'resource pool');
  const config: ApplianceConfig = {
    network: { address: `${APPLIANCE_IP}/24`, gateway: network.hostAddress, dns: [network.hostAddress] },
    files: {
      '/etc/vic/tls/ca.pem': readFileSync(join(layout.serverTls, 'ca.pem'), 'utf8'),
      '/etc/vic/tls/server-cert.pem': readFileSync(join(layout.serverTls, 'server-cert.pem'), 'utf8'),
      '/etc/vic/tls/server-key.pem': readFileSync(join(layout.serverTls, 'server-key.pem'), 'utf8'),
      '/etc/vic/vsphere-credentials.json': JSON.stringify({ username: vcsim.username, password: vcsim.password }),
    },
    // No --iso: bootstrap.iso is in the store folder already, as vic-machine leaves it.
    endpointArgs: [
      '--name', 'vch-appliance',
      '--state-dir', '/var/lib/vic/state',
      '--host', '0.0.0.0',
      '--port', String(DOCKER_PORT),
      '--tls-dir', '/etc/vic/tls',
      '--vsphere-url', vcsim.url,
      '--vsphere-credentials', '/etc/vic/vsphere-credentials.json',
      '--vsphere-thumbprint', await vcsimThumbprint(vcsim),
      '--vsphere-datacenter', 'DC0',
      '--vsphere-pool', `${pool.type}:${pool.value}`,
      '--vsphere-datastore', 'LocalDS_0',
      '--vsphere-store-folder', STORE_FOLDER,
      '--vsphere-channel-host', APPLIANCE_IP,
      '--vsphere-bridge-network', 'DC0_DVPG0',
    ],
  };
  const publicNetwork = await requireByInventoryPath(session, 'DC0/network/VM Network', 'network');
  const bridgeNetwork = await requireByInventoryPath(session, 'DC0/network/DC0_DVPG0', 'network');
  appliance = await createVm(session, { folder: await requireByInventoryPath(session, 'DC0/vm', 'folder'), pool }, {
    name: 'vch-appliance',
    guestId: 'otherGuest64',
    vmPathName: datastorePath('LocalDS_0', `${STORE_FOLDER}/appliance/vch-appliance.vmx`),
    numCPUs: 1,
    memoryMB: 2048,
    deviceChange: [
      deviceConfigSpec('add', cdrom({ key: -1, isoPath: datastorePath('LocalDS_0', `${STORE_FOLDER}/appliance.iso`) })),
      deviceConfigSpec('add', fileSerialPort({ key: -2, path: datastorePath('LocalDS_0', `${STORE_FOLDER}/appliance/console.log`) })),
      deviceConfigSpec('add', pvscsiController(-10)),
      deviceConfigSpec('add', disk({ key: -20, path: datastorePath('LocalDS_0', `${STORE_FOLDER}/appliance/data.vmdk`), controllerKey: -10, unitNumber: 0, capacityKb: 4 * 1024 * 1024 }), 'create'),
      deviceConfigSpec('add', vmxnet3({ key: -40, backing: await nicBackingFor(session, publicNetwork) })),
      deviceConfigSpec('add', vmxnet3({ key: -41, backing: await nicBackingFor(session, bridgeNetwork) })),
    ],
    extraConfig: { [APPLIANCE_GUESTINFO_KEY]: JSON.stringify(config) },
  });
}, 900_000);

afterAll(async () => {
  await host?.stop();
  // Also when the harness never started: no bridge or tap is left behind.
  network?.remove();
  await session?.logout().catch(() => undefined);
  await vcsim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the VCH appliance on vSphere (vcsim + the ESX stand-in)', () => {
  it('boots, serves docker over TLS on its public address, runs a container VM, and keeps its images across a power cycle', async () => {
    await powerOnVm(session, appliance);
    await waitForEndpoint();
    expect(await ok('info', '--format', '{{.OperatingSystem}}')).toBe('vSphere Integrated Containers (vSphere)\n');

    const archive = join(work, 'busybox.tar');
    await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', archive);
    expect(await ok('load', '-i', archive)).toContain('Loaded image: busybox:latest');
    expect(await ok('run', '--rm', 'busybox', 'echo', 'hello')).toBe('hello\n');

    const firstBoot = readFileSync(consoleFile, 'utf8');
    expect(firstBoot).toContain(`vic-appliance: public NIC eth0: ${APPLIANCE_IP}/24`);
    expect(firstBoot).toContain('vic-appliance: formatting the data disk /dev/sda (scsi0:0) as ext4, label vic-data');

    // Powered off as vSphere does it (the plug pulled), then on: the data disk keeps the endpoint's state.
    await powerOffVm(session, appliance);
    const deadline = Date.now() + POWER_OFF_TIMEOUT_MS;
    while (host.vm(appliance.value) && Date.now() < deadline) await sleep(250);
    expect(host.vm(appliance.value), 'the harness stopped the powered-off appliance').toBeUndefined();
    await powerOnVm(session, appliance);
    await waitForEndpoint();
    expect(await ok('images', '--format', '{{.Repository}}:{{.Tag}}')).toBe('busybox:latest\n');
    expect(await ok('run', '--rm', 'busybox', 'echo', 'again')).toBe('again\n');
    // The second boot found its file system and did not format it again.
    const secondBoot = readFileSync(consoleFile, 'utf8').split('vic-appliance: booting').at(-1)!;
    expect(secondBoot).toContain('vic-appliance: data disk /dev/sda mounted at /var/lib/vic');
    expect(secondBoot).not.toContain('formatting the data disk');
    expect(host.errors).toEqual([]);
  }, 900_000);
});
