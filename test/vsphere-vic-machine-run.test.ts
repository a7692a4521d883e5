import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { VimSession } from '../packages/vsphere/src/index';
import { ensureBootstrapIso } from './support/bootstrap-iso';
import { dockerCli } from './support/docker-cli';
import { EsxHostStandIn } from './support/esx-host/esx-host';
import { startVcsim, type Vcsim, type VcsimVm } from './support/vcsim';
import { ensureVicMachineBuilt, exportedVariables } from './support/vic-machine';
import { datastoreEntries, vcsimTarget, vcsimThumbprint, vicMachineVsphere } from './support/vsphere-vic-machine';

/*
 * Issue 5's "done when": `vic-machine create` against vcsim, then `docker run --rm busybox echo
 * hello` through that VCH prints hello. vcsim is vSphere; it runs nothing, so EsxHostStandIn
 * (support/esx-host) plays the ESX host and boots a real QEMU VM for each powered-on VM. The
 * endpoint process runs on this machine with the vSphere backend, as vic-machine starts it for now
 * (the endpoint VM has no network the docker CLI could reach until issue 6).
 */

let vcsim: Vcsim;
let harnessSession: VimSession;
let host: EsxHostStandIn;
let work: string;
let stateRoot: string;
let pinned: string[];
let dockerEnv: Record<string, string>;

const vm = (command: string[], ...args: string[]) => vicMachineVsphere(stateRoot, command, ...args);
const docker = (...args: string[]) =>
  dockerCli(dockerEnv.DOCKER_HOST!, join(work, 'docker-config'), args, { timeoutMs: 240_000, env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dockerEnv.DOCKER_CERT_PATH! } });
async function ok(...args: string[]): Promise<string> {
  const result = await docker(...args);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}: ${result.stderr}\nharness: ${host.errors.map((e) => e.message).join('; ')}`);
  return result.stdout;
}

async function vappVms(): Promise<VcsimVm[]> {
  const inventory = await vcsim.inventory();
  const vapp = inventory.vapps.find((candidate) => candidate.name === 'vch-run');
  return vapp === undefined ? [] : inventory.vms.filter((candidate) => candidate.resourcePool?.value === vapp.ref.value);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-vsphere-vic-machine-run-'));
  stateRoot = join(work, 'state');
  [vcsim] = await Promise.all([startVcsim(), ensureBootstrapIso(), ensureVicMachineBuilt()]);
  pinned = ['--target', vcsimTarget(vcsim), '--thumbprint', await vcsimThumbprint(vcsim), '--compute-resource', 'DC0_C0'];
  harnessSession = await VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
  host = EsxHostStandIn.start(vcsim, harnessSession, join(work, 'esx'));
}, 900_000);

afterAll(async () => {
  await vm(['delete'], ...pinned, '--name', 'vch-run', '--force');
  await host?.stop();
  await harnessSession?.logout().catch(() => undefined);
  await vcsim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('vic-machine create on vSphere, then docker through the VCH', () => {
  it('vic-machine create, then docker run --rm busybox echo hello prints hello from a VM in the VCH vApp', async () => {
    const created = await vm(['create'], ...pinned, '--name', 'vch-run', '--port', '0', '--bridge-network', 'DC0_DVPG0', '--volume-store', 'LocalDS_0/volumes/vch-run:default');
    expect(created.code, created.stderr).toBe(0);
    dockerEnv = exportedVariables(created.stdout);
    const archive = join(work, 'busybox.tar');
    await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', archive);
    await ok('load', '-q', '-i', archive);

    expect(await ok('run', '--rm', 'busybox', 'echo', 'hello')).toBe('hello\n');
    // A volume's VMDK goes to the folder of its volume store (--volume-store LocalDS_0/volumes/vch-run:default).
    await ok('run', '--rm', '-v', 'data:/data', 'busybox', 'sh', '-c', 'echo kept > /data/file');
    expect(await ok('run', '--rm', '-v', 'data:/data', 'busybox', 'cat', '/data/file')).toBe('kept\n');
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes/vch-run')).toEqual(['data-flat.vmdk', 'data.vmdk']);
    await ok('volume', 'rm', 'data');
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes/vch-run')).toEqual([]);
    // The container VM came and went; the (powered-off) endpoint VM is all the vApp holds.
    expect((await vappVms()).map((candidate) => [candidate.name, candidate.powerState])).toEqual([['vch-run', 'poweredOff']]);
    expect(host.errors).toEqual([]);
  }, 600_000);

  it('delete refuses while a container VM runs, changing nothing; delete --force removes it all, volume stores included', async () => {
    const id = (await ok('run', '-d', 'busybox', 'sleep', '1000')).trim();
    const running = (await vappVms()).find((candidate) => candidate.name === id);
    expect(running?.powerState).toBe('poweredOn');
    expect((await vm(['inspect'], ...pinned, '--name', 'vch-run')).stdout).toContain('containers:    1 VM(s), 1 running');

    // vcsim lists VMs in no fixed order.
    const vms = async () => (await vcsim.inventory()).vms.slice().sort((a, b) => a.ref.value.localeCompare(b.ref.value));
    const before = await vms();
    const refused = await vm(['delete'], ...pinned, '--name', 'vch-run');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`vic-machine: Delete failed: 1 container VM(s) of VCH vch-run are running (${id}); stop them first, or run delete with --force\n`);
    expect(await vms()).toEqual(before);
    expect(await ok('ps', '-q', '--no-trunc')).toBe(`${id}\n`);

    const forced = await vm(['delete'], ...pinned, '--name', 'vch-run', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain(`powering off VM ${id}`);
    expect(forced.stderr).toContain('--force: deleting volume store default at [LocalDS_0] volumes/vch-run');
    const after = await vcsim.inventory();
    expect(after.vms).toEqual([]);
    expect(after.vapps).toEqual([]);
    expect(await datastoreEntries(vcsim)).toEqual(['volumes']);
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes')).toEqual([]);
    expect(host.errors).toEqual([]);
  }, 600_000);
});
