import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoRef, NicBacking } from '../packages/vsphere/src/index';
import type { EsxHostStandIn } from './support/esx-host/esx-host';
import type { Vcsim, VcsimVm } from './support/vcsim';
import { eventually, startVsphereEndpointVch, type VsphereEndpointVch } from './support/vsphere-endpoint';

/*
 * Container VMs on vSphere across their starts, end to end: vcsim is vSphere, EsxHostStandIn runs
 * each powered-on VM in QEMU from its vSphere devices and files, the docker CLI is the real one.
 * A container's VM is made at its first start and reused after: what changed while it was stopped
 * (networks connected and left) must be on the VM at its next start. `docker cp` and `export` of a
 * stopped container work on its disks as they are on the datastore.
 */

let vch: VsphereEndpointVch;
let vcsim: Vcsim;
let host: EsxHostStandIn;
let pool: MoRef;
let publicBacking: NicBacking;
let work: string;
const docker = (...args: string[]) => vch.docker(...args);
const ok = (...args: string[]) => vch.ok(...args);
const datastoreDir = () => vch.datastoreDir();

async function vmNamed(id: string): Promise<VcsimVm | undefined> {
  return (await vcsim.inventory()).vms.find((vm) => vm.resourcePool?.value === pool.value && vm.name === id);
}

/** Every file under a directory, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

beforeAll(async () => {
  vch = await startVsphereEndpointVch('vch-ctr', '10.98.0');
  ({ vcsim, host, pool, publicBacking, work } = vch);
}, 600_000);

afterAll(async () => {
  await vch?.close();
});

describe('container VMs on vSphere match their container at every start', () => {
  it('a stopped container connected to two networks and disconnected from a third starts with exactly the new NICs, on their portgroups, and uses them', async () => {
    await ok('network', 'create', 'neta');
    await ok('network', 'create', 'netb');
    const serve = (text: string) => ['busybox', 'sh', '-c', `mkdir /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];
    await ok('run', '-d', '--name', 'peer-a', '--network', 'neta', ...serve('from-a'));
    await ok('create', '--name', 'peer-b', '--network', 'netb', ...serve('from-b'));
    await ok('network', 'connect', 'public', 'peer-b');
    await ok('start', 'peer-b');
    const peerA = (await ok('inspect', '-f', '{{.NetworkSettings.Networks.neta.IPAddress}}', 'peer-a')).trim();
    const peerBPublic = (await ok('inspect', '-f', '{{.NetworkSettings.Networks.public.IPAddress}}', 'peer-b')).trim();
    const id = (await ok('run', '-d', '--name', 'mover', '--network', 'neta', 'busybox', 'sleep', '1000')).trim();
    const before = (await vmNamed(id))!.devices!.filter((device) => device.type === 'VirtualVmxnet3');
    expect(before.map((nic) => nic.backing?.DeviceName)).toEqual(['VM Network']);
    await ok('stop', '-t', '0', 'mover');

    await ok('network', 'connect', 'netb', 'mover');
    await ok('network', 'connect', 'public', 'mover');
    await ok('network', 'disconnect', 'neta', 'mover');
    await ok('start', 'mover');

    const macOn = async (network: string) => (await ok('inspect', '-f', `{{.NetworkSettings.Networks.${network}.MacAddress}}`, 'mover')).trim();
    const [netbMac, publicMac] = [await macOn('netb'), await macOn('public')];
    expect(netbMac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(publicMac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const vm = (await vmNamed(id))!;
    const nics = vm.devices!.filter((device) => device.type === 'VirtualVmxnet3');
    const portgroupOf = (nic: (typeof nics)[number]) => nic.backing?.DeviceName ?? (nic.backing?.Port as { PortgroupKey?: string } | undefined)?.PortgroupKey;
    expect(nics.map((nic) => [nic.macAddress, portgroupOf(nic)]).sort()).toEqual(
      [
        [netbMac, 'VM Network'],
        [publicMac, publicBacking.kind === 'distributed' ? publicBacking.portgroupKey : 'not a DVPG'],
      ].sort(),
    );
    // The disks it was made with are still there: busybox's layer and its own disk.
    expect(vm.devices!.filter((device) => device.type === 'VirtualDisk')).toHaveLength(2);

    // In the guest: the interfaces are those NICs, and it reaches the peer on both networks, not the one it left.
    const addresses = await ok('exec', 'mover', 'sh', '-c', 'cat /sys/class/net/*/address');
    expect(addresses.split('\n').filter((line) => line !== '' && line !== '00:00:00:00:00:00').sort()).toEqual([netbMac, publicMac].sort());
    expect(await ok('exec', 'mover', 'wget', '-q', '-O', '-', 'http://peer-b/')).toBe('from-b\n');
    expect(await ok('exec', 'mover', 'wget', '-q', '-O', '-', `http://${peerBPublic}/`)).toBe('from-b\n');
    expect((await docker('exec', 'mover', 'wget', '-q', '-T', '3', '-O', '-', 'http://peer-a/')).code).not.toBe(0);
    expect((await docker('exec', 'mover', 'wget', '-q', '-T', '3', '-O', '-', `http://${peerA}/`)).code).not.toBe(0);
    expect(host.errors).toEqual([]);
  });

  // Goes on with the containers and networks of the test above (VM boots are what this file costs).
  it('a running container connected to a network gets a vmxnet3 hot-added there, and one disconnected loses it, in vSphere and in the guest', async () => {
    const id = (await ok('inspect', '-f', '{{.Id}}', 'mover')).trim();
    const peerBPublic = (await ok('inspect', '-f', '{{.NetworkSettings.Networks.public.IPAddress}}', 'peer-b')).trim();
    const macOn = async (network: string) => (await ok('inspect', '-f', `{{.NetworkSettings.Networks.${network}.MacAddress}}`, 'mover')).trim();
    const nicMacs = async () => ((await vmNamed(id))!.devices ?? []).filter((device) => device.type === 'VirtualVmxnet3').map((nic) => String(nic.macAddress)).sort();
    const guestMacs = async () => (await ok('exec', 'mover', 'sh', '-c', 'cat /sys/class/net/*/address')).split('\n').filter((line) => line !== '' && line !== '00:00:00:00:00:00').sort();
    const [netbMac, publicMac] = [await macOn('netb'), await macOn('public')];

    await ok('network', 'connect', 'neta', 'mover');
    const netaMac = await macOn('neta');
    expect(await nicMacs()).toEqual([netbMac, publicMac, netaMac].sort());
    expect(await guestMacs()).toEqual([netbMac, publicMac, netaMac].sort());
    expect(await ok('exec', 'mover', 'wget', '-q', '-O', '-', 'http://peer-a/')).toBe('from-a\n');

    await ok('network', 'disconnect', 'public', 'mover');
    expect(await nicMacs()).toEqual([netbMac, netaMac].sort());
    // vcsim finishes the reconfigure at once; the stand-in unplugs the NIC from the guest right after, as ESX would before its task ends.
    expect(await eventually(guestMacs, (macs) => macs.length === 2)).toEqual([netbMac, netaMac].sort());
    expect((await docker('exec', 'mover', 'wget', '-q', '-T', '3', '-O', '-', `http://${peerBPublic}/`)).code).not.toBe(0);
    expect(await ok('exec', 'mover', 'wget', '-q', '-O', '-', 'http://peer-b/')).toBe('from-b\n');
    expect(host.errors).toEqual([]);
    await ok('rm', '-f', 'mover', 'peer-a', 'peer-b');
    await ok('network', 'rm', 'neta', 'netb');
  });
});

describe('docker cp and docker export of a stopped container on vSphere', () => {
  it('copies into a container that never started, into one stopped after running, and out of it; export lists its files and uploads nothing', async () => {
    const id = (await ok('create', '--name', 'files', 'busybox', 'sh', '-c', 'cat /greeting; echo ran >> /runs')).trim();
    const greeting = join(work, 'greeting');
    writeFileSync(greeting, 'hello before the first start\n');
    await ok('cp', greeting, 'files:/greeting');
    expect(await ok('start', '-a', 'files')).toBe('hello before the first start\n');

    writeFileSync(greeting, 'hello after a run\n');
    await ok('cp', greeting, 'files:/greeting');
    expect(await ok('start', '-a', 'files')).toBe('hello after a run\n');

    // Out of the stopped container: what its VM wrote, read from its disk on the datastore.
    const out = join(work, 'runs-out');
    await ok('cp', 'files:/runs', out);
    expect(readFileSync(out, 'utf8')).toBe('ran\nran\n');

    const movesBefore = (await vcsim.calls()).filter((call) => call.method === 'MoveDatastoreFile_Task').length;
    expect(movesBefore).toBe(2); // one per copy into the container
    const exported = join(work, 'files.tar');
    await ok('export', '-o', exported, 'files');
    const names = execFileSync('tar', ['-tf', exported], { encoding: 'utf8' }).split('\n');
    expect(names).toEqual(expect.arrayContaining(['greeting', 'runs', 'bin/busybox']));
    expect((await vcsim.calls()).filter((call) => call.method === 'MoveDatastoreFile_Task').length).toBe(movesBefore);

    const folder = join(await datastoreDir(), 'vch-ctr', 'containers', id);
    expect(filesUnder(folder).filter((name) => name.endsWith('.partial'))).toEqual([]);
    await ok('rm', 'files');
    expect(existsSync(folder)).toBe(false);
    expect(host.errors).toEqual([]);
  });

  it('copies into and out of a stopped container\'s volume: the volume\'s VMDK on the datastore changes, not a copy', async () => {
    await ok('volume', 'create', 'shelf');
    await ok('run', '--name', 'writer', '-v', 'shelf:/data', 'busybox', 'sh', '-c', 'echo from-the-vm > /data/first');
    const out = join(work, 'first-out');
    await ok('cp', 'writer:/data/first', out);
    expect(readFileSync(out, 'utf8')).toBe('from-the-vm\n');

    const second = join(work, 'second');
    writeFileSync(second, 'from-docker-cp\n');
    await ok('cp', second, 'writer:/data/second');
    expect(await ok('run', '--rm', '-v', 'shelf:/data:ro', 'busybox', 'cat', '/data/first', '/data/second')).toBe('from-the-vm\nfrom-docker-cp\n');
    await ok('rm', 'writer');
    await ok('volume', 'rm', 'shelf');
    expect(host.errors).toEqual([]);
  });
});
