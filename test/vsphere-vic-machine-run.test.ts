import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLIANCE_GUESTINFO_KEY, type ApplianceConfig } from '@vic/protocol';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { VimSession } from '../packages/vsphere/src/index';
import { ensureApplianceIso, ensureBootstrapIso } from './support/bootstrap-iso';
import { dockerCli } from './support/docker-cli';
import { EsxHostStandIn } from './support/esx-host/esx-host';
import { PublicNetwork } from './support/esx-host/public-network';
import { startVcsim, type Vcsim, type VcsimVm } from './support/vcsim';
import { ensureVicMachineBuilt, exportedVariables } from './support/vic-machine';
import { datastoreEntries, vcsimTarget, vcsimThumbprint, vicMachineVsphere } from './support/vsphere-vic-machine';

/*
 * Issue 5's "done when", with the endpoint where VIC had it: `vic-machine create` against vcsim makes
 * the VCH's appliance VM and powers it on; EsxHostStandIn (support/esx-host) plays the ESX host and
 * boots it from its own files (appliance.iso, the data disk, its guestinfo) with its public NIC on
 * the harness's public network, where this host plays the admin's machine and vCenter (vcsim listens
 * there, so the appliance reaches it at the --target vic-machine used). Then the real docker CLI
 * talks to the endpoint in the appliance, and `docker run --rm busybox echo hello` prints hello from
 * a container VM the harness boots, whose channel dials the appliance; `docker cp` from a stopped
 * container works with the appliance's own tools; `configure` power-cycles the appliance, which
 * keeps its state on its data disk (formatted once, at its first boot). One VCH for the whole file:
 * each appliance boot under TCG costs tens of seconds.
 */

/** The harness's public network: 192.168.<subnet>.0/24, the host at .1. */
const SUBNET = 78;
const APPLIANCE_IP = `192.168.${SUBNET}.10`;

let network: PublicNetwork;
let vcsim: Vcsim;
let harnessSession: VimSession;
let host: EsxHostStandIn;
let work: string;
let stateRoot: string;
let pinned: string[];
let dockerEnv: Record<string, string>;
let isos: { bootstrap: string; appliance: string };

const vm = (command: string[], ...args: string[]) => vicMachineVsphere(stateRoot, command, ...args);
const harnessErrors = () => host?.errors.map((error) => error.message).join('; ');
const docker = (...args: string[]) =>
  dockerCli(dockerEnv.DOCKER_HOST!, join(work, 'docker-config'), args, { timeoutMs: 240_000, env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dockerEnv.DOCKER_CERT_PATH! } });
async function ok(...args: string[]): Promise<string> {
  const result = await docker(...args);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}: ${result.stderr}\nharness: ${harnessErrors()}`);
  return result.stdout;
}

/** The appliance's console: its file-backed serial port, in its folder on the datastore (a local directory under vcsim). */
async function applianceConsole(): Promise<string> {
  const store = (await vcsim.inventory()).datastores.find((candidate) => candidate.name === 'LocalDS_0')!;
  return readFileSync(join(store.url, 'vch-run/appliance/console.log'), 'utf8');
}

async function vappVms(): Promise<VcsimVm[]> {
  const inventory = await vcsim.inventory();
  const vapp = inventory.vapps.find((candidate) => candidate.name === 'vch-run');
  return vapp === undefined ? [] : inventory.vms.filter((candidate) => candidate.resourcePool?.value === vapp.ref.value);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-vsphere-vic-machine-run-'));
  stateRoot = join(work, 'state');
  network = PublicNetwork.create({ portgroup: 'VM Network', subnet: SUBNET });
  // The endpoint bundle first: the appliance ISO holds it.
  await ensureVicMachineBuilt();
  const [started, built, applianceIso] = await Promise.all([startVcsim({ listen: network.hostAddress }), ensureBootstrapIso(), ensureApplianceIso()]);
  vcsim = started;
  isos = { bootstrap: built.iso, appliance: applianceIso };
  pinned = ['--target', vcsimTarget(vcsim), '--thumbprint', await vcsimThumbprint(vcsim), '--compute-resource', 'DC0_C0'];
  harnessSession = await VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
  host = EsxHostStandIn.start(vcsim, harnessSession, join(work, 'esx'), { publicNetwork: network });
}, 900_000);

afterAll(async () => {
  await vm(['delete'], ...pinned, '--name', 'vch-run', '--force');
  await host?.stop();
  await harnessSession?.logout().catch(() => undefined);
  await vcsim?.stop();
  network?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('vic-machine create on vSphere boots the appliance, then docker through it', () => {
  it('create makes and powers on the appliance VM, waits for its endpoint at the public address, and docker run --rm busybox echo hello prints hello', async () => {
    const created = await vm(
      ['create'], ...pinned, '--name', 'vch-run', '--public-network-ip', `${APPLIANCE_IP}/24`, '--public-network-gateway', network.hostAddress,
      '--bridge-network', 'DC0_DVPG0', '--iso', isos.bootstrap, '--appliance-iso', isos.appliance,
    );
    expect(created.code, `${created.stderr}\nharness: ${harnessErrors()}`).toBe(0);
    expect(created.stderr).toContain(`the appliance answers at tcp://${APPLIANCE_IP}:2376`);
    dockerEnv = exportedVariables(created.stdout);
    expect(dockerEnv.DOCKER_HOST).toBe(`tcp://${APPLIANCE_IP}:2376`);

    // The appliance as vSphere holds it: both ISOs in the image store, its data disk, its configuration.
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'vch-run')).toEqual(['appliance', 'appliance.iso', 'bootstrap.iso']);
    const store = (await vcsim.inventory()).datastores.find((ds) => ds.name === 'LocalDS_0')!;
    expect(statSync(join(store.url, 'vch-run/appliance.iso')).size).toBe(statSync(isos.appliance).size);
    expect(statSync(join(store.url, 'vch-run/bootstrap.iso')).size).toBe(statSync(isos.bootstrap).size);
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'vch-run/appliance')).toEqual(expect.arrayContaining(['console.log', 'data-flat.vmdk', 'data.vmdk']));
    const [appliance, ...others] = await vappVms();
    expect(others).toEqual([]);
    expect(appliance).toMatchObject({ name: 'vch-run', powerState: 'poweredOn' });
    const config = JSON.parse(appliance!.extraConfig![APPLIANCE_GUESTINFO_KEY]!) as ApplianceConfig;
    expect(config.network).toEqual({ address: `${APPLIANCE_IP}/24`, gateway: network.hostAddress });
    expect(config.endpointArgs).toEqual(expect.arrayContaining(['--vsphere-channel-host', APPLIANCE_IP]));
    expect((appliance!.devices ?? []).filter((device) => device.type === 'VirtualDisk').map((device) => [device.unitNumber, device.backing?.FileName])).toEqual([
      [0, '[LocalDS_0] vch-run/appliance/data.vmdk'],
    ]);

    // The endpoint in the appliance serves the real docker CLI with the vSphere backend.
    expect(await ok('info', '--format', '{{.Name}} {{.OperatingSystem}}')).toBe('vch-run vSphere Integrated Containers (vSphere)\n');
    const archive = join(work, 'busybox.tar');
    await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', archive);
    await ok('load', '-q', '-i', archive);
    expect(await ok('run', '--rm', 'busybox', 'echo', 'hello')).toBe('hello\n');
    // docker cp from a stopped container: the endpoint assembles its root on the appliance (loop
    // devices, overlayfs, erofs, util-linux mount/umount).
    await ok('run', '--name', 'writer', 'busybox', 'sh', '-c', 'echo written > /file');
    await ok('cp', 'writer:/file', join(work, 'copied'));
    expect(readFileSync(join(work, 'copied'), 'utf8')).toBe('written\n');
    await ok('rm', 'writer');
    const firstBoot = await applianceConsole();
    expect(firstBoot).toContain(`vic-appliance: public NIC eth0: ${APPLIANCE_IP}/24`);
    expect(firstBoot).toContain('vic-appliance: formatting the data disk /dev/sda (scsi0:0) as ext4, label vic-data');
    // The container VMs came and went; the appliance is all the vApp holds.
    expect((await vappVms()).map((candidate) => [candidate.name, candidate.powerState])).toEqual([['vch-run', 'poweredOn']]);
    expect((await vm(['debug'], ...pinned, '--name', 'vch-run', '--log-level', 'info')).stdout).toContain('last lines of the appliance console [LocalDS_0] vch-run/appliance/console.log:');
    expect(host.errors).toEqual([]);
  }, 900_000);

  it('configure --volume-store power-cycles the appliance: its images survive on the data disk, and its endpoint has the new store', async () => {
    const configured = await vm(['configure'], ...pinned, '--name', 'vch-run', '--volume-store', 'LocalDS_0/volumes/vch-run:logs');
    expect(configured.code, `${configured.stderr}\nharness: ${harnessErrors()}`).toBe(0);
    expect(configured.stderr).toContain('restarting the appliance so its endpoint gets the new volume store(s)');
    expect(configured.stderr).toContain(`the appliance answers at tcp://${APPLIANCE_IP}:2376`);
    // The busybox image loaded before the restart is still there: the endpoint's state is on the data disk.
    expect(await ok('images', '--format', '{{.Repository}}:{{.Tag}}')).toBe('busybox:latest\n');
    expect(await ok('run', '--rm', 'busybox', 'echo', 'again')).toBe('again\n');
    // The second boot found its file system and did not format it again.
    const secondBoot = (await applianceConsole()).split('vic-appliance: booting').at(-1)!;
    expect(secondBoot).toContain('vic-appliance: data disk /dev/sda mounted at /var/lib/vic');
    expect(secondBoot).not.toContain('formatting the data disk');
    // The endpoint before the restart knew no store "logs" (it would answer: no volume store named "logs").
    await ok('volume', 'create', '-o', 'VolumeStore=logs', 'applogs');
    await ok('volume', 'rm', 'applogs');
    expect(host.errors).toEqual([]);
  }, 900_000);

  it('delete refuses while a container VM runs, changing nothing; delete --force powers off and removes it all, the volume store included', async () => {
    const id = (await ok('run', '-d', 'busybox', 'sleep', '1000')).trim();
    expect((await vappVms()).find((candidate) => candidate.name === id)?.powerState).toBe('poweredOn');
    expect((await vm(['inspect'], ...pinned, '--name', 'vch-run')).stdout).toContain('containers:    1 VM(s), 1 running');

    const refused = await vm(['delete'], ...pinned, '--name', 'vch-run');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`vic-machine: Delete failed: 1 container VM(s) of VCH vch-run are running (${id}); stop them first, or run delete with --force\n`);
    expect(await ok('ps', '-q', '--no-trunc')).toBe(`${id}\n`);

    const forced = await vm(['delete'], ...pinned, '--name', 'vch-run', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('powering off VM vch-run (the appliance)');
    expect(forced.stderr).toContain(`powering off VM ${id}`);
    expect(forced.stderr).toContain('--force: deleting volume store logs at [LocalDS_0] volumes/vch-run');
    const after = await vcsim.inventory();
    expect(after.vms).toEqual([]);
    expect(after.vapps).toEqual([]);
    expect(await datastoreEntries(vcsim)).toEqual(['volumes']);
    expect(await datastoreEntries(vcsim, 'LocalDS_0', 'volumes')).toEqual([]);
    expect(existsSync(join(stateRoot, 'vch-run'))).toBe(false);
    expect(host.errors).toEqual([]);
  }, 600_000);
});
