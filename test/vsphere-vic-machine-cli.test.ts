import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APPLIANCE_GUESTINFO_KEY, type ApplianceConfig } from '@vic/protocol';
import { moref, powerOffVm, readResourceConfig, VimSession } from '../packages/vsphere/src/index';
import { ensureBootstrapIso } from './support/bootstrap-iso';
import { dockerCli } from './support/docker-cli';
import { startVcsim, type Vcsim, type VcsimInventory, type VcsimVm } from './support/vcsim';
import { ensureVicMachineBuilt, exportedVariables, type CommandResult } from './support/vic-machine';
import { ApplianceStandIn, datastoreEntries, vcsimTarget, vcsimThumbprint, vicMachineVsphere } from './support/vsphere-vic-machine';

/*
 * vic-machine against vSphere, every command as a user runs it (the built CLI in a child process),
 * with vcsim as vSphere and its /vcsim/inventory, /vcsim/calls and datastore folders as the oracle.
 * No VM boots here: ApplianceStandIn plays the appliance VM of vch1 and e1 (it runs the real endpoint
 * with the VM's own guestinfo.vic.appliance, on a loopback address given as --public-network-ip),
 * because start, configure and debug power-cycle the appliance and a real boot under TCG costs tens
 * of seconds each; vsphere-vic-machine-run.test.ts boots the real appliance and a container VM.
 * For the same reason the appliance ISO uploaded here is a stand-in file, not iso-build's.
 */

let vcsim: Vcsim;
let work: string;
let stateRoot: string;
let thumbprint: string;
let iso: string;
let applianceIso: string;
let dockerEnv: Record<string, string>;
let standIn: ApplianceStandIn;

/** Calls that change vSphere: a refused command must have made none. */
const CHANGING = new Set([
  'CreateVApp', 'CreateResourcePool', 'CreateVM_Task', 'CreateChildVM_Task', 'MakeDirectory', 'ReconfigVM_Task', 'Destroy_Task', 'DeleteDatastoreFile_Task', 'UpdateConfig',
  'PowerOnVM_Task', 'PowerOffVM_Task',
]);
/** vch1's appliance address: a loopback address, where ApplianceStandIn serves its endpoint. */
const VCH1_IP = '127.0.0.2';

const target = () => ['--target', vcsimTarget(vcsim)];
const pinned = () => [...target(), '--thumbprint', thumbprint, '--compute-resource', 'DC0_C0'];
/** What every create needs on top of pinned(): the appliance's address and ISO. */
const appliance = (ip = VCH1_IP) => ['--public-network-ip', `${ip}/8`, '--appliance-iso', applianceIso];
const vm = (command: string[], ...args: string[]) => vicMachineVsphere(stateRoot, command, ...args);
const endpointVmOf = async (name: string): Promise<VcsimVm> => (await vcsim.inventory()).vms.find((candidate) => candidate.name === name)!;
const applianceConfigOf = (vmState: VcsimVm): ApplianceConfig => JSON.parse(vmState.extraConfig![APPLIANCE_GUESTINFO_KEY]!) as ApplianceConfig;
const ok = (result: CommandResult): CommandResult => {
  expect(result.code, `${result.stderr}\nstand-in: ${standIn?.errors.map((error) => error.message).join('; ')}`).toBe(0);
  return result;
};

interface Snapshot {
  readonly vms: VcsimInventory['vms'];
  readonly vapps: VcsimInventory['vapps'];
  readonly datastore: string[];
  readonly stateRoot: string[];
}
async function snapshot(): Promise<Snapshot> {
  const inventory = await vcsim.inventory();
  // vcsim lists objects in no fixed order.
  const byRef = <T extends { ref: { value: string } }>(items: readonly T[]): T[] => items.slice().sort((a, b) => a.ref.value.localeCompare(b.ref.value));
  return { vms: byRef(inventory.vms), vapps: byRef(inventory.vapps), datastore: await datastoreEntries(vcsim), stateRoot: existsSync(stateRoot) ? readdirSync(stateRoot).sort() : [] };
}
async function changingCallsSince(seq: number): Promise<string[]> {
  return (await vcsim.calls()).filter((call) => call.seq > seq && CHANGING.has(call.method)).map((call) => call.method);
}
async function lastSeq(): Promise<number> {
  return Math.max(0, ...(await vcsim.calls()).map((call) => call.seq));
}

/**
 * Runs a command that must be refused; asserts it changed nothing in vSphere or locally, and that
 * it asked vSphere for no change but `attempted` (one vSphere refused). Returns its stderr without
 * the progress line that precedes the checks.
 */
async function refused(command: string[], args: string[], attempted: string[] = []): Promise<string> {
  const before = await snapshot();
  const seq = await lastSeq();
  const result = await vm(command, ...args);
  expect(result.code, result.stderr).toBe(1);
  expect(result.stdout).toBe('');
  expect(await snapshot()).toEqual(before);
  expect(await changingCallsSince(seq)).toEqual(attempted);
  return result.stderr.replace(/^vic-machine: checking prerequisites on .*\n/, '');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-vsphere-vic-machine-'));
  stateRoot = join(work, 'state');
  applianceIso = join(work, 'appliance.iso');
  writeFileSync(applianceIso, Buffer.alloc(256 * 1024, 'appliance stand-in '));
  [vcsim, { iso }] = await Promise.all([startVcsim(), ensureBootstrapIso(), ensureVicMachineBuilt()]);
  thumbprint = await vcsimThumbprint(vcsim);
  standIn = ApplianceStandIn.start(vcsim, join(work, 'appliances'), ['vch1', 'open']);
}, 900_000);

afterAll(async () => {
  if (existsSync(join(stateRoot, 'vch1'))) await vm(['delete'], ...pinned(), '--name', 'vch1', '--force');
  await standIn?.stop();
  await vcsim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('vic-machine create on vSphere: prerequisites first, each failure changing nothing', () => {
  it('refuses an untrusted certificate and shows the thumbprint to pass', async () => {
    const stderr = await refused(['create'], [...target(), '--compute-resource', 'DC0_C0', '--name', 'vch1', ...appliance()]);
    expect(stderr).toContain(`Failed to verify certificate for target=${vcsim.host}:${vcsim.port} (thumbprint=${thumbprint})`);
    expect(stderr).toContain(`run again with --thumbprint ${thumbprint}`);
  });

  it('refuses a wrong thumbprint', async () => {
    const wrong = Array(20).fill('AB').join(':');
    const stderr = await refused(['create'], [...target(), '--thumbprint', wrong, '--compute-resource', 'DC0_C0', '--name', 'vch1', ...appliance()]);
    expect(stderr).toContain(`Failed to verify certificate for target=${vcsim.host}:${vcsim.port} (thumbprint=${thumbprint})`);
    expect(stderr).toContain(`thumbprint does not match "${wrong}"`);
  });

  it('refuses bad credentials', async () => {
    const stderr = await refused(['create'], ['--target', `${vcsim.host}:${vcsim.port}`, '--user', vcsim.username, '--password', 'wrong', '--thumbprint', thumbprint, '--compute-resource', 'DC0_C0', '--name', 'vch1', ...appliance()]);
    expect(stderr).toBe(`vic-machine: Failed to log in to ${vcsim.host}:${vcsim.port} as ${vcsim.username}: Login failure\n`);
  });

  it('reports an unknown compute resource, datastore, network and volume store datastore all at once', async () => {
    const stderr = await refused(['create'], [
      ...target(), '--thumbprint', thumbprint, '--name', 'vch1',
      '--compute-resource', 'nope', '--image-store', 'missing', '--public-network', 'lan', '--bridge-network', 'bridge', '--volume-store', 'gone/vols:default', ...appliance(),
    ]);
    expect(stderr.trimEnd().split('\n')).toEqual([
      `vic-machine: compute resource 'nope' not found. Suggested values for --compute-resource: "DC0_C0", "DC0_H0"`,
      `datastore 'missing' not found. Suggested values for --image-store: "LocalDS_0"`,
      `network 'lan' not found. Suggested values for --public-network: "DC0_DVPG0", "DVS0-DVUplinks-9", "VM Network"`,
      `network 'bridge' not found. Suggested values for --bridge-network: "DC0_DVPG0", "DVS0-DVUplinks-9", "VM Network"`,
      `datastore 'gone' not found. Suggested values for --volume-store: "LocalDS_0"`,
    ]);
  });

  it('reports a container network on an unknown portgroup, and refuses one without a gateway before connecting', async () => {
    const unknown = await refused(['create'], [...pinned(), '--compute-resource', 'DC0_C0', '--name', 'vch1', '--container-network', 'nowhere:public', '--container-network-gateway', 'nowhere:10.99.0.1/24', ...appliance()]);
    expect(unknown).toBe(`vic-machine: network 'nowhere' not found. Suggested values for --container-network: "DC0_DVPG0", "DVS0-DVUplinks-9", "VM Network"\n`);
    expect(await refused(['create'], [...pinned(), '--name', 'vch1', ...appliance(), '--container-network', 'VM Network:public'])).toBe(
      'vic-machine: --container-network VM Network:public: give its --container-network-gateway VM Network:GATEWAY/PREFIX (vic has no DHCP for container networks)\n',
    );
  });

  it('refuses bad public network flags and a bad --timeout before connecting, each with what to give', async () => {
    const create = (...args: string[]) => refused(['create'], [...pinned(), '--name', 'vch1', '--appliance-iso', applianceIso, ...args]);
    expect(await create()).toBe(
      'vic-machine: the VCH appliance needs a static address on the public network (vic has no DHCP there): give --public-network-ip ADDRESS/PREFIX, e.g. 192.168.20.5/24\n',
    );
    expect(await create('--public-network-gateway', '10.0.0.1')).toContain('give --public-network-ip ADDRESS/PREFIX');
    expect(await create('--public-network-ip', '10.0.0.5')).toBe(
      'vic-machine: --public-network-ip "10.0.0.5": expected an IPv4 address with the network\'s prefix length (1-30), e.g. 192.168.20.5/24\n',
    );
    expect(await create('--public-network-ip', '10.0.0.300/24')).toContain('--public-network-ip "10.0.0.300/24": expected an IPv4 address');
    expect(await create('--public-network-ip', '10.0.0.5/31')).toContain('--public-network-ip "10.0.0.5/31": expected an IPv4 address');
    expect(await create('--public-network-ip', '10.0.0.255/24')).toBe('vic-machine: --public-network-ip 10.0.0.255/24: 10.0.0.255 is the broadcast address of 10.0.0.0/24, not one a host can have\n');
    expect(await create('--public-network-ip', '10.0.0.5/24', '--public-network-gateway', '10.0.1.1')).toBe(
      'vic-machine: --public-network-gateway 10.0.1.1 is not a host of the public network 10.0.0.0/24 (--public-network-ip 10.0.0.5/24): the appliance could not reach it\n',
    );
    expect(await create('--public-network-ip', '10.0.0.5/24', '--public-network-gateway', '10.0.0.5')).toBe(
      "vic-machine: --public-network-gateway 10.0.0.5 is the appliance's own address (--public-network-ip 10.0.0.5/24)\n",
    );
    expect(await create('--public-network-ip', '10.0.0.5/24', '--public-network-gateway', 'router')).toBe('vic-machine: --public-network-gateway "router" is not an IPv4 address\n');
    expect(await create('--public-network-ip', '10.0.0.5/24', '--dns-server', '10.0.0.53', '--dns-server', 'dns.example.com')).toBe(
      'vic-machine: --dns-server "dns.example.com" is not an IPv4 address\n',
    );
    expect(await create('--public-network-ip', '10.0.0.5/24', '--timeout', 'soon')).toBe(
      'vic-machine: --timeout "soon" is not a duration: hours, minutes and seconds, e.g. 10m, 90s or 1m30s\n',
    );
    expect(await refused(['create'], [...pinned(), '--name', 'vch1', ...appliance(), '--port', '2376'])).toBe('vic-machine: vic-machine create does not take --port with a vSphere target\n');
    expect(await refused(['create'], [...pinned(), '--name', 'vch1', '--public-network-ip', '10.0.0.5/24', '--appliance-iso', join(work, 'none.iso')])).toBe(
      `vic-machine: the appliance ISO ${join(work, 'none.iso')} is missing; build it with bash iso-build/build.sh or pass --appliance-iso\n`,
    );
  });

  it('refuses bad flags before connecting', async () => {
    expect(await refused(['create'], [...pinned(), '--name', 'vch1', ...appliance(), '--cpu', 'lots'])).toBe('vic-machine: --cpu lots is not a limit: a whole number above 0 (MHz)\n');
    expect(await refused(['create'], [...pinned(), '--name', 'vch1', ...appliance(), '--volume-store', 'LocalDS_0/vols'])).toBe(
      'vic-machine: --volume-store "LocalDS_0/vols": expected datastore/path:label, e.g. datastore1/volumes:default\n',
    );
    expect(await refused(['create'], ['--target', `${vcsim.host}:${vcsim.port}`, '--name', 'vch1'])).toBe('vic-machine: User to login must be specified in --user or --target URL\n');
    expect(await refused(['start'], [...pinned(), '--name', 'vch1', '--cpu', '1'])).toBe('vic-machine: vic-machine start does not take --cpu with a vSphere target\n');
  });
});

describe('vic-machine on vSphere: create, ls, inspect, configure, debug, start, delete (ApplianceStandIn plays the appliance)', () => {
  let session: VimSession;
  const docker = (...args: string[]) => dockerCli(dockerEnv.DOCKER_HOST!, join(work, 'docker-config'), args, { env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dockerEnv.DOCKER_CERT_PATH! } });
  beforeAll(async () => {
    session = await VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
  });
  afterAll(async () => {
    await session?.logout();
  });

  it('create makes the vApp, the image store with both ISOs, the volume store and the appliance VM, powers it on and prints the docker environment once it answers', async () => {
    const seq = await lastSeq();
    const result = ok(
      await vm(
        ['create'], ...pinned(), '--name', 'vch1', ...appliance(), '--public-network-gateway', '127.0.0.1', '--dns-server', '127.0.0.53',
        '--image-store', 'LocalDS_0/stores', '--volume-store', 'LocalDS_0/volumes/vch1:default',
        '--bridge-network', 'DC0_DVPG0', '--cpu', '2000', '--memory', '4096',
        '--container-network', 'VM Network:public', '--container-network-gateway', 'VM Network:10.99.0.1/24', '--container-network-ip-range', 'VM Network:10.99.0.128/25',
      ),
    );
    // Progress on the long steps, on stderr; stdout is only what a shell evaluates.
    expect(result.stderr).toContain('vic-machine: checking prerequisites on');
    expect(result.stderr).toMatch(/uploading the bootstrap ISO \([\d.]+ MiB\) to \[LocalDS_0\] stores\/bootstrap\.iso/);
    expect(result.stderr).toMatch(/uploading the appliance ISO \([\d.]+ MiB\) to \[LocalDS_0\] stores\/appliance\.iso/);
    expect(result.stderr).toContain('vic-machine: powering on the appliance VM');
    expect(result.stderr).toContain(`waiting for the appliance to answer /_ping at tcp://${VCH1_IP}:2376`);
    const env = exportedVariables(result.stdout);
    dockerEnv = env;
    expect(env).toEqual({ DOCKER_HOST: `tcp://${VCH1_IP}:2376`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(stateRoot, 'vch1', 'certs') });
    // This machine keeps only the docker client's certificates and vch.json: no server key, no vSphere login.
    expect(readdirSync(join(stateRoot, 'vch1')).sort()).toEqual(['certs', 'vch.json']);
    expect(readdirSync(join(stateRoot, 'vch1', 'certs')).sort()).toEqual(['ca.pem', 'cert.pem', 'key.pem']);

    const inventory = await vcsim.inventory();
    const clusterPool = inventory.pools.find((pool) => (pool.parent as { type: string }).type === 'ClusterComputeResource')!;
    const [vapp, ...otherVapps] = inventory.vapps;
    expect(otherVapps).toEqual([]);
    expect(vapp).toMatchObject({ name: 'vch1', parent: clusterPool.ref });
    const endpointVm = inventory.vms.find((candidate) => candidate.name === 'vch1')!;
    expect(endpointVm).toMatchObject({ powerState: 'poweredOn', resourcePool: vapp!.ref });
    const devices = endpointVm.devices ?? [];
    const byType = (type: string) => devices.filter((device) => device.type === type);
    expect(byType('VirtualCdrom').map((device) => device.backing?.FileName)).toEqual(['[LocalDS_0] stores/appliance.iso']);
    expect(byType('VirtualSerialPort').map((device) => [device.backingType, device.backing?.FileName])).toEqual([
      ['VirtualSerialPortFileBackingInfo', '[LocalDS_0] stores/appliance/console.log'],
    ]);
    const [controller, ...otherControllers] = byType('ParaVirtualSCSIController');
    expect(otherControllers).toEqual([]);
    const [dataDisk, ...otherDisks] = byType('VirtualDisk');
    expect(otherDisks).toEqual([]);
    expect(dataDisk).toMatchObject({ controllerKey: controller!.key, unitNumber: 0, capacityKB: 8 * 1024 * 1024 });
    expect(dataDisk!.backing).toMatchObject({ FileName: '[LocalDS_0] stores/appliance/data.vmdk', DiskMode: 'persistent' });
    const nics = byType('VirtualVmxnet3');
    expect(nics.map((nic) => nic.backingType)).toEqual(['VirtualEthernetCardNetworkBackingInfo', 'VirtualEthernetCardDistributedVirtualPortBackingInfo']);
    expect(nics[0]!.backing).toMatchObject({ DeviceName: 'VM Network' });
    expect(endpointVm.extraConfig).toMatchObject({
      'guestinfo.vice./common/name': 'vch1',
      'guestinfo.vice./connect/target_url': vcsim.url,
      'guestinfo.vice./storage/image_store': 'ds://LocalDS_0/stores',
      'guestinfo.vice./storage/volume_stores': 'default:ds://LocalDS_0/volumes/vch1',
      'guestinfo.vice./network/public': 'VM Network',
      'guestinfo.vice./network/bridge': 'DC0_DVPG0',
      'guestinfo.vice./resources/cpu_limit_mhz': '2000',
      'guestinfo.vice./resources/memory_limit_mb': '4096',
      'guestinfo.vice./endpoint/docker_host': env.DOCKER_HOST,
      'guestinfo.vice./endpoint/tls': 'true',
    });
    // The appliance's configuration, as its boot program reads it.
    const config = applianceConfigOf(endpointVm);
    expect(config.network).toEqual({ address: `${VCH1_IP}/8`, gateway: '127.0.0.1', dns: ['127.0.0.53'] });
    expect(Object.keys(config.files).sort()).toEqual(['/etc/vic/tls/ca.pem', '/etc/vic/tls/server-cert.pem', '/etc/vic/tls/server-key.pem', '/etc/vic/vsphere-credentials.json']);
    expect(JSON.parse(config.files['/etc/vic/vsphere-credentials.json']!)).toEqual({ username: vcsim.username, password: vcsim.password });
    const flag = (name: string) => config.endpointArgs[config.endpointArgs.indexOf(name) + 1];
    expect([flag('--host'), flag('--port'), flag('--tls-dir'), flag('--state-dir'), flag('--vsphere-channel-host'), flag('--vsphere-store-folder')]).toEqual([
      '0.0.0.0', '2376', '/etc/vic/tls', '/var/lib/vic/state', VCH1_IP, 'stores',
    ]);
    expect(flag('--vsphere-pool')).toBe(`VirtualApp:${vapp!.ref.value}`);
    // The vSphere login is only where the appliance reads it: not in the VCH's record keys.
    const recordKeys = Object.entries(endpointVm.extraConfig ?? {}).filter(([key]) => key.startsWith('guestinfo.vice./'));
    expect(JSON.stringify(recordKeys)).not.toContain(vcsim.password);

    // The limits as sent, and as vSphere reads them back.
    const createVApp = (await vcsim.calls()).find((call) => call.seq > seq && call.method === 'CreateVApp')!;
    expect(createVApp.request).toMatch(/<vim:cpuAllocation[^>]*>(?:(?!<\/vim:cpuAllocation>).)*<vim:limit>2000<\/vim:limit>/s);
    const allocation = await readResourceConfig(session, moref(vapp!.ref.type, vapp!.ref.value));
    expect([allocation.cpu.limit, allocation.memory.limit]).toEqual([2000, 4096]);

    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'stores')).toEqual(['appliance', 'appliance.iso', 'bootstrap.iso']);
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'stores/appliance')).toEqual(expect.arrayContaining(['console.log', 'data-flat.vmdk', 'data.vmdk']));
    const store = inventory.datastores.find((ds) => ds.name === 'LocalDS_0')!;
    expect(readFileSync(join(store.url, 'stores/appliance.iso')).equals(readFileSync(applianceIso))).toBe(true);
    expect(statSync(join(store.url, 'stores/bootstrap.iso')).size).toBe(statSync(iso).size);
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes')).toEqual(['vch1']);

    // The appliance's endpoint answers the real docker CLI over TLS with the client certificate, on the vSphere backend.
    expect((await docker('info', '--format', '{{.Name}} {{.OperatingSystem}}')).stdout).toBe('vch1 vSphere Integrated Containers (vSphere)\n');
    const network = await docker('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}}', 'public');
    expect(network.stdout, network.stderr).toBe('10.99.0.0/24 10.99.0.1 10.99.0.128/25\n');
  });

  it('refuses a name the compute resource already holds, changing nothing', async () => {
    const elsewhere = join(work, 'other-machine');
    const before = (await vcsim.inventory()).vapps;
    const result = await vicMachineVsphere(elsewhere, ['create'], ...pinned(), '--name', 'vch1', ...appliance('127.0.0.9'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('vic-machine: VCH name vch1 is taken: DC0/host/DC0_C0/Resources already holds a VirtualApp named vch1');
    expect(result.stderr).not.toContain('removing what it made');
    expect((await vcsim.inventory()).vapps).toEqual(before);
    expect(existsSync(join(elsewhere, 'vch1'))).toBe(false);
  });

  it('--no-tlsverify and --tls-cname: the appliance asks clients for no certificate, and its server certificate carries the name', async () => {
    const created = ok(await vm(['create'], ...pinned(), '--name', 'open', ...appliance('127.0.0.4'), '--no-tlsverify', '--tls-cname', 'open.example.test'));
    const env = exportedVariables(created.stdout);
    expect(readdirSync(env.DOCKER_CERT_PATH!)).toEqual(['ca.pem']);
    const config = applianceConfigOf(await endpointVmOf('open'));
    expect(config.endpointArgs).toContain('--no-tlsverify');
    const serverCert = new X509Certificate(config.files['/etc/vic/tls/server-cert.pem']!);
    expect(serverCert.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost, IP Address:127.0.0.4, DNS:open.example.test');
    const info = await dockerCli(env.DOCKER_HOST!, join(work, 'docker-config'), ['info', '--format', '{{.Name}}'], { env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: env.DOCKER_CERT_PATH! } });
    expect(info.stdout, info.stderr).toBe('open\n');
    expect(ok(await vm(['inspect'], ...pinned(), '--name', 'open')).stdout).toContain('endpoint:      tcp://127.0.0.4:2376 (TLS, no client certificates (--no-tlsverify))');
    expect(ok(await vm(['inspect', 'config'], ...pinned(), '--name', 'open')).stdout).toContain('--no-tlsverify\n--tls-cname open.example.test\n');
    ok(await vm(['delete'], ...pinned(), '--name', 'open'));
  });

  it('ls and inspect find the VCH from the inventory, even from a machine without its local folder', async () => {
    const ls = ok(await vm(['ls'], ...pinned()));
    const lines = ls.stdout.trimEnd().split('\n').map((line) => line.split(/\s{3,}/));
    expect(lines).toEqual([['NAME', 'PATH', 'STATUS', 'DOCKER_HOST'], ['vch1', 'DC0/host/DC0_C0/Resources/vch1', 'running', `tcp://${VCH1_IP}:2376`]]);
    const elsewhere = await vicMachineVsphere(join(work, 'other-machine'), ['ls'], ...pinned());
    expect(elsewhere.stdout.trimEnd().split('\n')[1]!.split(/\s{3,}/)).toEqual(['vch1', 'DC0/host/DC0_C0/Resources/vch1', 'powered on', `tcp://${VCH1_IP}:2376`]);

    const inspect = ok(await vm(['inspect'], ...pinned(), '--name', 'vch1'));
    expect(inspect.stdout).toContain('status:        running (appliance VM powered on, its endpoint answers)');
    expect(inspect.stdout).toContain(`appliance VM:  vch1 (poweredOn), public address ${VCH1_IP}/8 via 127.0.0.1, DNS 127.0.0.53`);
    expect(inspect.stdout).toContain('console:       [LocalDS_0] stores/appliance/console.log (vic-machine debug shows its tail)');
    expect(inspect.stdout).toContain('vApp:          DC0/host/DC0_C0/Resources/vch1 (CPU 2000 MHz, memory 4096 MB)');
    expect(inspect.stdout).toContain('image store:   ds://LocalDS_0/stores');
    expect(inspect.stdout).toContain('volume store:  default ds://LocalDS_0/volumes/vch1');
    expect(inspect.stdout).toContain('networks:      public VM Network, bridge DC0_DVPG0');
    expect(inspect.stdout).toContain('containers:    0 VM(s), 0 running');
    expect(inspect.stdout).toContain(`endpoint:      tcp://${VCH1_IP}:2376 (TLS, client certificates required)`);
    expect(inspect.stdout).toContain(`export DOCKER_CERT_PATH=${join(stateRoot, 'vch1', 'certs')}`);
    const inspectElsewhere = ok(await vicMachineVsphere(join(work, 'other-machine'), ['inspect'], ...pinned(), '--name', 'vch1'));
    expect(inspectElsewhere.stdout).toContain('status:        appliance VM powered on (no client certificates on this machine to ask its endpoint)');
    expect(inspectElsewhere.stdout).not.toContain('export ');

    const config = ok(await vm(['inspect', 'config'], ...pinned(), '--name', 'vch1'));
    expect(config.stdout.trimEnd().split('\n')).toEqual([
      `--target ${vcsim.host}:${vcsim.port}`,
      '--name vch1',
      '--compute-resource DC0_C0',
      '--image-store LocalDS_0/stores',
      '--volume-store LocalDS_0/volumes/vch1:default',
      '--public-network "VM Network"',
      `--public-network-ip ${VCH1_IP}/8`,
      '--public-network-gateway 127.0.0.1',
      '--dns-server 127.0.0.53',
      '--bridge-network "DC0_DVPG0"',
      '--cpu 2000',
      '--memory 4096',
    ]);
    // The local folder of a vSphere VCH is not a local VCH.
    expect((await vm(['ls'], '--target', 'local')).stdout).toBe('NAME   STATUS   DOCKER_HOST\n');
    expect((await vm(['delete'], '--target', 'local', '--name', 'vch1')).stderr).toBe(
      `vic-machine: VCH vch1 is in vSphere (${vcsim.url}, DC0/host/DC0_C0/Resources); run vic-machine delete with that --target\n`,
    );
    expect((await vm(['inspect'], ...pinned(), '--name', 'nope')).stderr).toBe('vic-machine: no VCH named nope in DC0/host/DC0_C0/Resources; vic-machine ls lists the VCHs there\n');
  });

  it('configure adds a volume store and restarts the appliance so its endpoint has it; a limit vcsim cannot change is refused with nothing changed', async () => {
    const seq = await lastSeq();
    const added = ok(await vm(['configure'], ...pinned(), '--name', 'vch1', '--volume-store', 'LocalDS_0/volumes/logs:logs'));
    expect(added.stderr).toContain('restarting the appliance so its endpoint gets the new volume store(s)');
    expect(await changingCallsSince(seq)).toEqual(['MakeDirectory', 'ReconfigVM_Task', 'PowerOffVM_Task', 'PowerOnVM_Task']);
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes')).toEqual(['logs', 'vch1']);
    const endpointVm = await endpointVmOf('vch1');
    expect(endpointVm.extraConfig?.['guestinfo.vice./storage/volume_stores']).toBe('default:ds://LocalDS_0/volumes/vch1,logs:ds://LocalDS_0/volumes/logs');
    const { endpointArgs } = applianceConfigOf(endpointVm);
    expect(endpointArgs.filter((_, index) => endpointArgs[index - 1] === '--vsphere-volume-store').map((text) => JSON.parse(text) as unknown)).toEqual([
      { label: 'default', datastore: 'LocalDS_0', path: 'volumes/vch1' },
      { label: 'logs', datastore: 'LocalDS_0', path: 'volumes/logs' },
    ]);
    // The restarted endpoint has the store (the one before it answered: no volume store named "logs").
    const created = await docker('volume', 'create', '-o', 'VolumeStore=logs', 'applogs');
    expect(created.code, created.stderr).toBe(0);
    expect((await docker('volume', 'rm', 'applogs')).code).toBe(0);

    const stderr = await refused(['configure'], [...pinned(), '--name', 'vch1', '--cpu', '1000', '--volume-store', 'LocalDS_0/volumes/more:more'], ['UpdateConfig']);
    expect(stderr).toContain(`${vcsim.host}:${vcsim.port} cannot change the limits of vApp vch1`);
    expect(stderr).toContain('does not implement: UpdateConfig); nothing was changed');
    expect(await refused(['configure'], [...pinned(), '--name', 'vch1', '--volume-store', 'LocalDS_0/x:logs'])).toBe('vic-machine: VCH vch1 already has a volume store labelled logs\n');
    expect(await refused(['configure'], [...pinned(), '--name', 'vch1'])).toBe('vic-machine: nothing to configure: give --cpu, --memory or --volume-store\n');
  });

  it('debug restarts the appliance with the endpoint logging every API request, shows the console tail, and info turns it off', async () => {
    const recorded = async () => (await endpointVmOf('vch1')).extraConfig?.['guestinfo.vice./debug/log_level'];
    const on = ok(await vm(['debug'], ...pinned(), '--name', 'vch1'));
    expect(on.stderr).toContain('restarting the appliance with log level debug; container VMs keep running');
    expect(await recorded()).toBe('debug');
    expect(applianceConfigOf(await endpointVmOf('vch1')).endpointArgs.slice(-2)).toEqual(['--log-level', 'debug']);
    expect(on.stdout).toContain('last lines of the appliance console [LocalDS_0] stores/appliance/console.log:');
    expect(on.stdout).toContain('The whole console is [LocalDS_0] stores/appliance/console.log on the datastore');
    expect((await docker('info', '--format', '{{.Name}}')).stdout).toBe('vch1\n');
    // The endpoint writes the line once the response is sent, which the CLI may see first.
    await vi.waitFor(
      async () => expect((await vm(['debug'], ...pinned(), '--name', 'vch1')).stdout).toMatch(/^ {2}endpoint: debug: GET \/(v[\d.]+\/)?info -> 200 \(\d+ ms\)$/m),
      { timeout: 10_000, interval: 500 },
    );
    const again = await vm(['debug'], ...pinned(), '--name', 'vch1');
    expect(again.stderr).toContain('the endpoint logs at level debug already');

    const off = ok(await vm(['debug'], ...pinned(), '--name', 'vch1', '--log-level', 'info'));
    expect(off.stderr).toContain('restarting the appliance with log level info');
    expect(await recorded()).toBe('info');
    expect(applianceConfigOf(await endpointVmOf('vch1')).endpointArgs).not.toContain('--log-level');
    expect((await vm(['debug'], ...pinned(), '--name', 'vch1', '--log-level', 'trace')).stderr).toBe('vic-machine: --log-level trace is not one of info, debug\n');
  });

  it('start powers a stopped appliance on and waits for its endpoint; inspect says stopped meanwhile', async () => {
    await powerOffVm(session, moref('VirtualMachine', (await endpointVmOf('vch1')).ref.value));
    expect((await vm(['inspect'], ...pinned(), '--name', 'vch1')).stdout).toContain('status:        stopped (appliance VM poweredOff)');
    const started = ok(await vm(['start'], ...pinned(), '--name', 'vch1'));
    expect(started.stderr).toContain('powering on the appliance VM');
    expect(exportedVariables(started.stdout)).toEqual(dockerEnv);
    expect((await docker('info', '--format', '{{.Name}}')).stdout).toBe('vch1\n');
    const already = ok(await vm(['start'], ...pinned(), '--name', 'vch1'));
    expect(already.stderr).toContain('its appliance VM is already powered on');
  });

  it('delete powers off and removes the appliance VM, the image store folder, the vApp and the local folder; without --force it keeps the volume stores', async () => {
    const result = ok(await vm(['delete'], ...pinned(), '--name', 'vch1'));
    expect(result.stderr).toContain('powering off VM vch1 (the appliance)');
    expect(result.stderr).toContain('keeping the volume stores (default, logs); delete --force removes them too');
    const inventory = await vcsim.inventory();
    expect(inventory.vapps).toEqual([]);
    expect(inventory.vms).toEqual([]);
    expect(await datastoreEntries(vcsim)).toEqual(['volumes']);
    expect(existsSync(join(stateRoot, 'vch1'))).toBe(false);
    // Its endpoint stopped with the VM: nothing answers at its address.
    expect((await docker('info')).code).not.toBe(0);
    expect((await vm(['ls'], ...pinned())).stdout).toBe('NAME   PATH   STATUS   DOCKER_HOST\n');
  });
});

describe('vic-machine create on vSphere: rollback', () => {
  it('an appliance that never answers is waited for up to --timeout, then everything is removed, the powered-on VM included, and its console tail shown', async () => {
    const before = await snapshot();
    const seq = await lastSeq();
    // Nothing plays vch2's appliance: its VM is powered on in vcsim and never answers.
    const creating = vm(['create'], ...pinned(), '--name', 'vch2', ...appliance('127.0.0.4'), '--timeout', '20s', '--volume-store', 'LocalDS_0/volumes/vch2:default');
    const store = (await vcsim.inventory()).datastores.find((ds) => ds.name === 'LocalDS_0')!;
    // While create waits: the VM is on, and what its console says is what create will show.
    let poweredOn: VcsimVm | undefined;
    await vi.waitFor(
      async () => {
        poweredOn = (await vcsim.inventory()).vms.find((candidate) => candidate.name === 'vch2' && candidate.powerState === 'poweredOn');
        expect(poweredOn).toBeDefined();
      },
      { timeout: 20_000, interval: 200 },
    );
    appendFileSync(join(store.url, 'vch2/appliance/console.log'), 'appliance: mounting the data disk\nappliance: no network on the public NIC\n');
    expect(applianceConfigOf(poweredOn!).network).toEqual({ address: '127.0.0.4/8' });
    const result = await creating;
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('vic-machine: the appliance did not answer /_ping at tcp://127.0.0.4:2376 within 20 s');
    expect(result.stderr).toContain('last lines of the appliance console [LocalDS_0] vch2/appliance/console.log:\n  appliance: mounting the data disk\n  appliance: no network on the public NIC\n');
    expect(result.stderr).toContain('vic-machine: create failed; removing what it made');
    expect(result.stderr).toContain('rollback: removing appliance VM vch2');
    expect(result.stderr).not.toContain('rollback could not remove');
    // It made the vApp, folders and VM and powered it on, then undid it all, newest first.
    expect(await changingCallsSince(seq)).toEqual([
      'CreateVApp', 'MakeDirectory', 'MakeDirectory', 'MakeDirectory', 'CreateChildVM_Task', 'PowerOnVM_Task',
      'PowerOffVM_Task', 'Destroy_Task', 'DeleteDatastoreFile_Task', 'DeleteDatastoreFile_Task', 'Destroy_Task',
    ]);
    expect(await snapshot()).toEqual(before);
  }, 120_000);
});

describe('vic-machine create on vSphere: stores that exist already', () => {
  it('refuses an image store folder that exists (it may be another VCH\'s) before making anything', async () => {
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes')).toEqual(['logs', 'vch1']);
    expect(await refused(['create'], [...pinned(), '--name', 'vch3', ...appliance('127.0.0.5'), '--image-store', 'LocalDS_0/volumes'])).toBe(
      'vic-machine: [LocalDS_0] volumes already exists: it may belong to another VCH; give --image-store a path of its own\n',
    );
  });

  it('uses an existing volume store as it is, and a rollback leaves it and its data alone', async () => {
    const before = await snapshot();
    const result = await vm(['create'], ...pinned(), '--name', 'vch3', ...appliance('127.0.0.5'), '--timeout', '2s', '--volume-store', 'LocalDS_0/volumes/vch1:default');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('volume store default: using the existing [LocalDS_0] volumes/vch1');
    expect(result.stderr).toContain('rollback: removing vApp vch3');
    expect(result.stderr).not.toContain('rollback: removing folder [LocalDS_0] volumes/vch1');
    expect(await snapshot()).toEqual(before);
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes')).toEqual(['logs', 'vch1']);
  }, 60_000);
});

describe('vic-machine on a standalone ESXi host (vcsim -esx): a resource pool instead of a vApp', () => {
  let esx: Vcsim;
  let esxSession: VimSession;
  let esxStandIn: ApplianceStandIn;
  const esxStateRoot = () => join(work, 'esx-state');
  const onEsx = (command: string[], ...args: string[]) => vicMachineVsphere(esxStateRoot(), command, '--target', vcsimTarget(esx), '--force', ...args);

  beforeAll(async () => {
    esx = await startVcsim({ inventory: ['-esx', '-vm', '0'] });
    esxSession = await VimSession.login({ url: esx.url, username: esx.username, password: esx.password, certificate: { kind: 'insecure' } });
    esxStandIn = ApplianceStandIn.start(esx, join(work, 'esx-appliances'), ['e1']);
  }, 300_000);
  afterAll(async () => {
    await esxSession?.logout();
    if (existsSync(join(esxStateRoot(), 'e1'))) await onEsx(['delete'], '--name', 'e1', '--force');
    await esxStandIn?.stop();
    await esx?.stop();
  });

  it('create (--no-tls) makes a resource pool with the limits, configure changes them without restarting the appliance, delete removes it', async () => {
    const created = await onEsx(['create'], '--name', 'e1', '--cpu', '1500', '--no-tls', ...appliance('127.0.0.3'));
    expect(created.code, `${created.stderr}\nstand-in: ${esxStandIn.errors.map((error) => error.message).join('; ')}`).toBe(0);
    expect(created.stderr).toContain("creating the VCH's resource pool ha-datacenter/host/localhost.localdomain/Resources/e1 (CPU 1500 MHz, memory unlimited)");
    expect(created.stderr).toContain('--no-tls: the endpoint serves plain HTTP without authentication to anyone who can reach 127.0.0.3');
    // Plain HTTP on Docker's port for it: no certificates anywhere.
    expect(exportedVariables(created.stdout)).toEqual({ DOCKER_HOST: 'tcp://127.0.0.3:2375' });
    expect(readdirSync(join(esxStateRoot(), 'e1'))).toEqual(['vch.json']);
    const info = await dockerCli('tcp://127.0.0.3:2375', join(work, 'docker-config'), ['info', '--format', '{{.Name}}']);
    expect(info.stdout, info.stderr).toBe('e1\n');
    let inventory = await esx.inventory();
    expect(inventory.vapps).toEqual([]);
    const pool = inventory.pools.find((candidate) => candidate.name === 'e1')!;
    expect(inventory.vms.map((candidate) => [candidate.name, candidate.resourcePool, candidate.powerState])).toEqual([['e1', pool.ref, 'poweredOn']]);
    // --force: the appliance's endpoint accepts any vSphere certificate too.
    const config = applianceConfigOf(inventory.vms[0]!);
    expect(config.endpointArgs).toContain('--vsphere-insecure');
    expect(config.endpointArgs).not.toContain('--tls-dir');
    expect(Object.keys(config.files)).toEqual(['/etc/vic/vsphere-credentials.json']);
    const limits = async () => {
      const allocation = await readResourceConfig(esxSession, moref(pool.ref.type, pool.ref.value));
      return [allocation.cpu.limit, allocation.memory.limit];
    };
    expect(await limits()).toEqual([1500, -1]);

    const seq = Math.max(0, ...(await esx.calls()).map((call) => call.seq));
    const configured = await onEsx(['configure'], '--name', 'e1', '--cpu', '3000', '--memory', '1024');
    expect(configured.code, configured.stderr).toBe(0);
    expect((await esx.calls()).filter((call) => call.seq > seq && CHANGING.has(call.method)).map((call) => call.method)).toEqual(['UpdateConfig', 'ReconfigVM_Task']);
    expect(await limits()).toEqual([3000, 1024]);
    const endpointVm = (await esx.inventory()).vms.find((candidate) => candidate.name === 'e1')!;
    expect(endpointVm.extraConfig).toMatchObject({ 'guestinfo.vice./resources/cpu_limit_mhz': '3000', 'guestinfo.vice./resources/memory_limit_mb': '1024' });
    expect((await onEsx(['inspect'], '--name', 'e1')).stdout).toContain('resource pool: ha-datacenter/host/localhost.localdomain/Resources/e1 (CPU 3000 MHz, memory 1024 MB)');

    const deleted = await onEsx(['delete'], '--name', 'e1');
    expect(deleted.code, deleted.stderr).toBe(0);
    inventory = await esx.inventory();
    expect(inventory.pools.map((candidate) => candidate.name)).toEqual(['Resources']);
    expect(inventory.vms).toEqual([]);
    expect(await datastoreEntries(esx)).toEqual([]);
  });
});
