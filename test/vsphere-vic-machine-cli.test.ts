import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { moref, readResourceConfig, VimSession } from '../packages/vsphere/src/index';
import { ensureBootstrapIso } from './support/bootstrap-iso';
import { dockerCli } from './support/docker-cli';
import { startVcsim, type Vcsim, type VcsimInventory } from './support/vcsim';
import { ensureVicMachineBuilt, exportedVariables } from './support/vic-machine';
import { datastoreEntries, vcsimTarget, vcsimThumbprint, vicMachineVsphere } from './support/vsphere-vic-machine';

/*
 * vic-machine against vSphere, every command as a user runs it (the built CLI in a child process),
 * with vcsim as vSphere and its /vcsim/inventory, /vcsim/calls and datastore folders as the oracle.
 * No container VM boots here (vsphere-vic-machine-run.test.ts does that). The endpoint process runs
 * on this machine with the vSphere backend, as vic-machine starts it for now (the endpoint VM has no
 * network the docker CLI could reach until issue 6).
 */

let vcsim: Vcsim;
let work: string;
let stateRoot: string;
let thumbprint: string;
let iso: string;
let dockerEnv: Record<string, string>;

/** Calls that change vSphere: a refused command must have made none. */
const CHANGING = new Set(['CreateVApp', 'CreateResourcePool', 'CreateVM_Task', 'CreateChildVM_Task', 'MakeDirectory', 'ReconfigVM_Task', 'Destroy_Task', 'DeleteDatastoreFile_Task', 'UpdateConfig']);

const target = () => ['--target', vcsimTarget(vcsim)];
const pinned = () => [...target(), '--thumbprint', thumbprint, '--compute-resource', 'DC0_C0'];
const vm = (command: string[], ...args: string[]) => vicMachineVsphere(stateRoot, command, ...args);

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

/** Alive and not a zombie (a zombie's cmdline is empty). */
const alive = (pid: number): boolean => existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8') !== '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-vsphere-vic-machine-'));
  stateRoot = join(work, 'state');
  [vcsim, { iso }] = await Promise.all([startVcsim(), ensureBootstrapIso(), ensureVicMachineBuilt()]);
  thumbprint = await vcsimThumbprint(vcsim);
}, 900_000);

afterAll(async () => {
  // A failed test may leave the VCH's endpoint running: delete --force stops it.
  if (existsSync(join(stateRoot, 'vch1'))) await vm(['delete'], ...pinned(), '--name', 'vch1', '--force');
  await vcsim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('vic-machine create on vSphere: prerequisites first, each failure changing nothing', () => {
  it('refuses an untrusted certificate and shows the thumbprint to pass', async () => {
    const stderr = await refused(['create'], [...target(), '--compute-resource', 'DC0_C0', '--name', 'vch1']);
    expect(stderr).toContain(`Failed to verify certificate for target=${vcsim.host}:${vcsim.port} (thumbprint=${thumbprint})`);
    expect(stderr).toContain(`run again with --thumbprint ${thumbprint}`);
  });

  it('refuses a wrong thumbprint', async () => {
    const wrong = Array(20).fill('AB').join(':');
    const stderr = await refused(['create'], [...target(), '--thumbprint', wrong, '--compute-resource', 'DC0_C0', '--name', 'vch1']);
    expect(stderr).toContain(`Failed to verify certificate for target=${vcsim.host}:${vcsim.port} (thumbprint=${thumbprint})`);
    expect(stderr).toContain(`thumbprint does not match "${wrong}"`);
  });

  it('refuses bad credentials', async () => {
    const stderr = await refused(['create'], ['--target', `${vcsim.host}:${vcsim.port}`, '--user', vcsim.username, '--password', 'wrong', '--thumbprint', thumbprint, '--compute-resource', 'DC0_C0', '--name', 'vch1']);
    expect(stderr).toBe(`vic-machine: Failed to log in to ${vcsim.host}:${vcsim.port} as ${vcsim.username}: Login failure\n`);
  });

  it('reports an unknown compute resource, datastore, network and volume store datastore all at once', async () => {
    const stderr = await refused(['create'], [
      ...target(), '--thumbprint', thumbprint, '--name', 'vch1',
      '--compute-resource', 'nope', '--image-store', 'missing', '--public-network', 'lan', '--bridge-network', 'bridge', '--volume-store', 'gone/vols:default',
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
    const unknown = await refused(['create'], [...pinned(), '--compute-resource', 'DC0_C0', '--name', 'vch1', '--container-network', 'nowhere:public', '--container-network-gateway', 'nowhere:10.99.0.1/24']);
    expect(unknown).toBe(`vic-machine: network 'nowhere' not found. Suggested values for --container-network: "DC0_DVPG0", "DVS0-DVUplinks-9", "VM Network"\n`);
    expect(await refused(['create'], [...pinned(), '--name', 'vch1', '--container-network', 'VM Network:public'])).toBe(
      'vic-machine: --container-network VM Network:public: give its --container-network-gateway VM Network:GATEWAY/PREFIX (vic has no DHCP for container networks)\n',
    );
  });

  it('refuses bad flags before connecting', async () => {
    expect(await refused(['create'], [...pinned(), '--name', 'vch1', '--cpu', 'lots'])).toBe('vic-machine: --cpu lots is not a limit: a whole number above 0 (MHz)\n');
    expect(await refused(['create'], [...pinned(), '--name', 'vch1', '--volume-store', 'LocalDS_0/vols'])).toBe(
      'vic-machine: --volume-store "LocalDS_0/vols": expected datastore/path:label, e.g. datastore1/volumes:default\n',
    );
    expect(await refused(['create'], ['--target', `${vcsim.host}:${vcsim.port}`, '--name', 'vch1'])).toBe('vic-machine: User to login must be specified in --user or --target URL\n');
    expect(await refused(['start'], [...pinned(), '--name', 'vch1', '--cpu', '1'])).toBe('vic-machine: vic-machine start does not take --cpu with a vSphere target\n');
  });
});

describe('vic-machine on vSphere: create, ls, inspect, configure, delete', () => {
  let session: VimSession;
  beforeAll(async () => {
    session = await VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
  });
  afterAll(async () => {
    await session?.logout();
  });

  it('create makes the vApp with its limits, the image store with the ISO, the volume store and the endpoint VM, then serves docker', async () => {
    const seq = await lastSeq();
    const result = await vm(
      ['create'], ...pinned(), '--name', 'vch1', '--port', '0',
      '--image-store', 'LocalDS_0/stores', '--volume-store', 'LocalDS_0/volumes/vch1:default',
      '--bridge-network', 'DC0_DVPG0', '--cpu', '2000', '--memory', '4096',
      '--container-network', 'VM Network:public', '--container-network-gateway', 'VM Network:10.99.0.1/24', '--container-network-ip-range', 'VM Network:10.99.0.128/25',
    );
    expect(result.code, result.stderr).toBe(0);
    // Progress on the long steps, on stderr; stdout is only what a shell evaluates.
    expect(result.stderr).toContain('vic-machine: checking prerequisites on');
    expect(result.stderr).toMatch(/uploading the bootstrap ISO \([\d.]+ MiB\) to \[LocalDS_0\] stores/);
    expect(result.stderr).toContain('the endpoint runs on this machine with the vSphere backend');
    const env = exportedVariables(result.stdout);
    dockerEnv = env;
    expect(env).toMatchObject({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(stateRoot, 'vch1', 'certs') });

    const inventory = await vcsim.inventory();
    const clusterPool = inventory.pools.find((pool) => (pool.parent as { type: string }).type === 'ClusterComputeResource')!;
    const [vapp, ...otherVapps] = inventory.vapps;
    expect(otherVapps).toEqual([]);
    expect(vapp).toMatchObject({ name: 'vch1', parent: clusterPool.ref });
    const endpointVm = inventory.vms.find((candidate) => candidate.name === 'vch1')!;
    expect(endpointVm).toMatchObject({ powerState: 'poweredOff', resourcePool: vapp!.ref });
    const nics = (endpointVm.devices ?? []).filter((device) => device.type === 'VirtualVmxnet3');
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
    // No secret in the VM's config, which anyone who can read the inventory can read.
    expect(JSON.stringify(endpointVm.extraConfig)).not.toContain(vcsim.password);

    // The limits as sent, and as vSphere reads them back.
    const createVApp = (await vcsim.calls()).find((call) => call.seq > seq && call.method === 'CreateVApp')!;
    expect(createVApp.request).toMatch(/<vim:cpuAllocation[^>]*>(?:(?!<\/vim:cpuAllocation>).)*<vim:limit>2000<\/vim:limit>/s);
    expect(createVApp.request).toMatch(/<vim:memoryAllocation[^>]*>(?:(?!<\/vim:memoryAllocation>).)*<vim:limit>4096<\/vim:limit>/s);
    const allocation = await readResourceConfig(session, moref(vapp!.ref.type, vapp!.ref.value));
    expect([allocation.cpu.limit, allocation.memory.limit]).toEqual([2000, 4096]);

    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'stores')).toEqual(['appliance', 'bootstrap.iso']);
    const store = inventory.datastores.find((ds) => ds.name === 'LocalDS_0')!;
    expect(statSync(join(store.url, 'stores/bootstrap.iso')).size).toBe(statSync(iso).size);
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes')).toEqual(['vch1']);

    // The endpoint answers the real docker CLI over TLS with the client certificate, on the vSphere backend.
    const info = await dockerCli(env.DOCKER_HOST!, join(work, 'docker-config'), ['info', '--format', '{{.Name}} {{.OperatingSystem}}'], {
      env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: env.DOCKER_CERT_PATH! },
    });
    expect(info.stdout).toBe('vch1 vSphere Integrated Containers (vSphere)\n');
    // The container network is a Docker network of the VCH, with the range it was given.
    const network = await dockerCli(env.DOCKER_HOST!, join(work, 'docker-config'), ['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}}', 'public'], {
      env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: env.DOCKER_CERT_PATH! },
    });
    expect(network.stdout, network.stderr).toBe('10.99.0.0/24 10.99.0.1 10.99.0.128/25\n');
  });

  it('refuses a name the compute resource already holds, changing nothing', async () => {
    const elsewhere = join(work, 'other-machine');
    const before = (await vcsim.inventory()).vapps;
    const result = await vicMachineVsphere(elsewhere, ['create'], ...pinned(), '--name', 'vch1', '--port', '0');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('vic-machine: VCH name vch1 is taken: DC0/host/DC0_C0/Resources already holds a VirtualApp named vch1');
    expect(result.stderr).not.toContain('removing what it made');
    expect((await vcsim.inventory()).vapps).toEqual(before);
    expect(existsSync(join(elsewhere, 'vch1'))).toBe(false);
  });

  it('ls and inspect find the VCH from the inventory, even from a machine without its local state', async () => {
    const ls = await vm(['ls'], ...pinned());
    expect(ls.code, ls.stderr).toBe(0);
    const lines = ls.stdout.trimEnd().split('\n').map((line) => line.split(/\s{3,}/));
    expect(lines[0]).toEqual(['NAME', 'PATH', 'STATUS', 'DOCKER_HOST']);
    expect(lines[1]).toEqual(['vch1', 'DC0/host/DC0_C0/Resources/vch1', 'running', expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/)]);
    const elsewhere = await vicMachineVsphere(join(work, 'other-machine'), ['ls'], ...pinned());
    expect(elsewhere.stdout.trimEnd().split('\n')[1]!.split(/\s{3,}/).slice(0, 3)).toEqual(['vch1', 'DC0/host/DC0_C0/Resources/vch1', 'no endpoint here']);

    const inspect = await vm(['inspect'], ...pinned(), '--name', 'vch1');
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toMatch(/^status: +running \(endpoint pid \d+\)$/m);
    expect(inspect.stdout).toContain('vApp:          DC0/host/DC0_C0/Resources/vch1 (CPU 2000 MHz, memory 4096 MB)');
    expect(inspect.stdout).toContain('image store:   ds://LocalDS_0/stores');
    expect(inspect.stdout).toContain('volume store:  default ds://LocalDS_0/volumes/vch1');
    expect(inspect.stdout).toContain('networks:      public VM Network, bridge DC0_DVPG0');
    expect(inspect.stdout).toContain('containers:    0 VM(s), 0 running');
    expect(inspect.stdout).toContain(`export DOCKER_CERT_PATH=${join(stateRoot, 'vch1', 'certs')}`);

    const config = await vm(['inspect', 'config'], ...pinned(), '--name', 'vch1');
    expect(config.stdout.trimEnd().split('\n')).toEqual([
      `--target ${vcsim.host}:${vcsim.port}`,
      '--name vch1',
      '--compute-resource DC0_C0',
      '--image-store LocalDS_0/stores',
      '--volume-store LocalDS_0/volumes/vch1:default',
      '--public-network "VM Network"',
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

  it('configure adds a volume store; a limit vcsim cannot change (its vApps lack UpdateConfig) is refused with nothing changed', async () => {
    const added = await vm(['configure'], ...pinned(), '--name', 'vch1', '--volume-store', 'LocalDS_0/volumes/logs:logs');
    expect(added.code, added.stderr).toBe(0);
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes')).toEqual(['logs', 'vch1']);
    const endpointVm = (await vcsim.inventory()).vms.find((candidate) => candidate.name === 'vch1')!;
    expect(endpointVm.extraConfig?.['guestinfo.vice./storage/volume_stores']).toBe('default:ds://LocalDS_0/volumes/vch1,logs:ds://LocalDS_0/volumes/logs');

    const stderr = await refused(['configure'], [...pinned(), '--name', 'vch1', '--cpu', '1000', '--volume-store', 'LocalDS_0/volumes/more:more'], ['UpdateConfig']);
    expect(stderr).toContain(`${vcsim.host}:${vcsim.port} cannot change the limits of vApp vch1`);
    expect(stderr).toContain('does not implement: UpdateConfig); nothing was changed');
    expect(await refused(['configure'], [...pinned(), '--name', 'vch1', '--volume-store', 'LocalDS_0/x:logs'])).toBe('vic-machine: VCH vch1 already has a volume store labelled logs\n');
    expect(await refused(['configure'], [...pinned(), '--name', 'vch1'])).toBe('vic-machine: nothing to configure: give --cpu, --memory or --volume-store\n');
  });

  it('debug restarts the endpoint logging every API request, records the level on the endpoint VM, and info turns it off', async () => {
    const log = join(stateRoot, 'vch1', 'endpoint.log');
    const docker = (...args: string[]) => dockerCli(dockerEnv.DOCKER_HOST!, join(work, 'docker-config'), args, { env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dockerEnv.DOCKER_CERT_PATH! } });
    const debugLines = (from: number) => readFileSync(log, 'utf8').slice(from).split('\n').filter((line) => line.startsWith('endpoint: debug: '));
    const recorded = async () => (await vcsim.inventory()).vms.find((candidate) => candidate.name === 'vch1')!.extraConfig?.['guestinfo.vice./debug/log_level'];

    const on = await vm(['debug'], ...pinned(), '--name', 'vch1');
    expect(on.code, on.stderr).toBe(0);
    expect(on.stderr).toContain('restarting the endpoint');
    expect(exportedVariables(on.stdout)).toEqual(dockerEnv); // same address and certificates
    expect(await recorded()).toBe('debug');
    let from = statSync(log).size;
    expect((await docker('info', '--format', '{{.Name}}')).stdout).toBe('vch1\n');
    // The line is written once the response is sent, which the CLI may see first.
    await vi.waitFor(() => expect(debugLines(from)).toEqual(expect.arrayContaining([expect.stringMatching(/^endpoint: debug: GET \/(v[\d.]+\/)?info -> 200 \(\d+ ms\)$/)])), { timeout: 5_000, interval: 100 });

    const off = await vm(['debug'], ...pinned(), '--name', 'vch1', '--log-level', 'info');
    expect(off.code, off.stderr).toBe(0);
    expect(await recorded()).toBe('info');
    from = statSync(log).size;
    expect((await docker('info', '--format', '{{.Name}}')).stdout).toBe('vch1\n');
    expect(debugLines(from)).toEqual([]);
    expect((await vm(['debug'], ...pinned(), '--name', 'vch1', '--log-level', 'trace')).stderr).toBe('vic-machine: --log-level trace is not one of info, debug\n');
  });

  it('delete removes the endpoint, the endpoint VM, the image store folder, the vApp and the local folder; without --force it keeps the volume stores', async () => {
    const pid = Number(/endpoint pid (\d+)/.exec((await vm(['inspect'], ...pinned(), '--name', 'vch1')).stdout)![1]);
    const result = await vm(['delete'], ...pinned(), '--name', 'vch1');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('keeping the volume stores (default, logs); delete --force removes them too');
    const inventory = await vcsim.inventory();
    expect(inventory.vapps).toEqual([]);
    expect(inventory.vms).toEqual([]);
    expect(await datastoreEntries(vcsim)).toEqual(['volumes']);
    expect(existsSync(join(stateRoot, 'vch1'))).toBe(false);
    expect(alive(pid)).toBe(false);
    expect((await vm(['ls'], ...pinned())).stdout).toBe('NAME   PATH   STATUS   DOCKER_HOST\n');
  });
});

describe('vic-machine create on vSphere: rollback', () => {
  let busy: Server;
  afterAll(() => new Promise<void>((resolve) => (busy ? busy.close(() => resolve()) : resolve())));

  it('a create that fails after making things (its endpoint cannot listen) removes all it made', async () => {
    busy = createServer();
    const port = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)));
    const before = await snapshot();
    const seq = await lastSeq();
    const result = await vm(['create'], ...pinned(), '--name', 'vch2', '--port', String(port), '--volume-store', 'LocalDS_0/volumes/vch2:default');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the endpoint exited with code 1 before it listened');
    expect(result.stderr).toContain('create failed; removing what it made');
    expect(result.stderr).not.toContain('rollback could not remove');
    // It did make the vApp, folders and VM, then removed them, newest first.
    expect(await changingCallsSince(seq)).toEqual(['CreateVApp', 'MakeDirectory', 'MakeDirectory', 'MakeDirectory', 'CreateChildVM_Task', 'Destroy_Task', 'DeleteDatastoreFile_Task', 'DeleteDatastoreFile_Task', 'Destroy_Task']);
    expect(await snapshot()).toEqual(before);
  });
});

describe('vic-machine create on vSphere: stores that exist already', () => {
  it('refuses an image store folder that exists (it may be another VCH\'s) before making anything', async () => {
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes')).toEqual(['logs', 'vch1']);
    expect(await refused(['create'], [...pinned(), '--name', 'vch3', '--image-store', 'LocalDS_0/volumes'])).toBe(
      'vic-machine: [LocalDS_0] volumes already exists: it may belong to another VCH; give --image-store a path of its own\n',
    );
  });

  it('uses an existing volume store as it is, and a rollback leaves it and its data alone', async () => {
    const busy = createServer();
    const port = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)));
    try {
      const before = await snapshot();
      const result = await vm(['create'], ...pinned(), '--name', 'vch3', '--port', String(port), '--volume-store', 'LocalDS_0/volumes/vch1:default');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('volume store default: using the existing [LocalDS_0] volumes/vch1');
      expect(result.stderr).toContain('rollback: removing vApp vch3');
      expect(result.stderr).not.toContain('rollback: removing folder [LocalDS_0] volumes/vch1');
      expect(await snapshot()).toEqual(before);
      expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes')).toEqual(['logs', 'vch1']);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});

describe('vic-machine on a standalone ESXi host (vcsim -esx): a resource pool instead of a vApp', () => {
  let esx: Vcsim;
  let session: VimSession;
  const esxStateRoot = () => join(work, 'esx-state');
  const onEsx = (command: string[], ...args: string[]) => vicMachineVsphere(esxStateRoot(), command, '--target', vcsimTarget(esx), '--force', ...args);

  beforeAll(async () => {
    esx = await startVcsim({ inventory: ['-esx', '-vm', '0'] });
    session = await VimSession.login({ url: esx.url, username: esx.username, password: esx.password, certificate: { kind: 'insecure' } });
  }, 300_000);
  afterAll(async () => {
    await session?.logout();
    if (existsSync(join(esxStateRoot(), 'e1'))) await onEsx(['delete'], '--name', 'e1', '--force');
    await esx?.stop();
  });

  it('create makes a resource pool with the limits, configure changes them with the containers untouched, delete removes it', async () => {
    const created = await onEsx(['create'], '--name', 'e1', '--port', '0', '--cpu', '1500');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain("creating the VCH's resource pool ha-datacenter/host/localhost.localdomain/Resources/e1 (CPU 1500 MHz, memory unlimited)");
    let inventory = await esx.inventory();
    expect(inventory.vapps).toEqual([]);
    const pool = inventory.pools.find((candidate) => candidate.name === 'e1')!;
    expect(inventory.vms.map((candidate) => [candidate.name, candidate.resourcePool])).toEqual([['e1', pool.ref]]);
    const limits = async () => {
      const allocation = await readResourceConfig(session, moref(pool.ref.type, pool.ref.value));
      return [allocation.cpu.limit, allocation.memory.limit];
    };
    expect(await limits()).toEqual([1500, -1]);

    const configured = await onEsx(['configure'], '--name', 'e1', '--cpu', '3000', '--memory', '1024');
    expect(configured.code, configured.stderr).toBe(0);
    expect(await limits()).toEqual([3000, 1024]);
    const endpointVm = (await esx.inventory()).vms.find((candidate) => candidate.name === 'e1')!;
    expect(endpointVm.extraConfig).toMatchObject({ 'guestinfo.vice./resources/cpu_limit_mhz': '3000', 'guestinfo.vice./resources/memory_limit_mb': '1024' });
    const config = JSON.parse(readFileSync(join(esxStateRoot(), 'e1', 'vch.json'), 'utf8')) as { vsphere: { limits: unknown } };
    expect(config.vsphere.limits).toEqual({ cpuMHz: 3000, memoryMB: 1024 });
    expect((await onEsx(['inspect'], '--name', 'e1')).stdout).toContain('resource pool: ha-datacenter/host/localhost.localdomain/Resources/e1 (CPU 3000 MHz, memory 1024 MB)');

    const deleted = await onEsx(['delete'], '--name', 'e1');
    expect(deleted.code, deleted.stderr).toBe(0);
    inventory = await esx.inventory();
    expect(inventory.pools.map((candidate) => candidate.name)).toEqual(['Resources']);
    expect(inventory.vms).toEqual([]);
    expect(await datastoreEntries(esx)).toEqual([]);
  });
});
