import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { createResourcePool, nicBackingFor, requireByInventoryPath, VimSession, type MoRef } from '../packages/vsphere/src/index';
import { startVchEndpoint, type VchEndpoint } from '../apps/endpoint/src/vch-endpoint';
import type { VsphereTarget } from '../apps/endpoint/src/portlayer/vsphere/vsphere-target';
import { ensureBootstrapIso } from './support/bootstrap-iso';
import { dockerCli } from './support/docker-cli';
import { EsxHostStandIn } from './support/esx-host/esx-host';
import { startVcsim, type Vcsim, type VcsimVm } from './support/vcsim';

/*
 * The Docker API on the vSphere backend, end to end. vcsim is vSphere: the endpoint creates, powers
 * and destroys container VMs in the VCH's resource pool and uploads the ISO and disks to its
 * datastore through the vim25 API. vcsim runs nothing, so EsxHostStandIn (support/esx-host) plays
 * the ESX host: it boots a real QEMU VM from each powered-on VM's files and devices. The docker
 * CLI is the real one; the output it prints came from a process in that VM.
 */

let vcsim: Vcsim;
let session: VimSession;
let harnessSession: VimSession;
let host: EsxHostStandIn;
let endpoint: VchEndpoint;
let openEndpoint: () => Promise<VchEndpoint>;
let pool: MoRef;
let work: string;

const docker = (...args: string[]) => dockerCli(endpoint.dockerHost, join(work, 'docker-config'), args, { timeoutMs: 240_000 });
async function ok(...args: string[]): Promise<string> {
  const result = await docker(...args);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}: ${result.stderr}\nharness: ${host.errors.map((e) => e.message).join('; ')}`);
  return result.stdout;
}

/** The probe's last value once `done` holds for it, or after 30 s whatever it is (the assertion then shows it). */
async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function vmsInPool(): Promise<VcsimVm[]> {
  return (await vcsim.inventory()).vms.filter((vm) => vm.resourcePool?.value === pool.value);
}

async function datastoreDir(): Promise<string> {
  return (await vcsim.inventory()).datastores.find((ds) => ds.name === 'LocalDS_0')!.url;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-vsphere-endpoint-'));
  vcsim = await startVcsim();
  const login = () => VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
  session = await login();
  harnessSession = await login();
  pool = await createResourcePool(session, await requireByInventoryPath(session, 'DC0/host/DC0_C0/Resources', 'resource pool'), 'vch-e2e');
  const target: VsphereTarget = {
    session,
    datacenterPath: 'DC0',
    datacenter: await requireByInventoryPath(session, 'DC0', 'datacenter'),
    vmFolder: await requireByInventoryPath(session, 'DC0/vm', 'folder'),
    pool,
    datastore: 'LocalDS_0',
    storeFolder: 'vch-e2e',
    channelHost: '127.0.0.1',
    bridgeNetwork: await nicBackingFor(session, await requireByInventoryPath(session, 'DC0/network/VM Network', 'network')),
    containerNetworks: { DC0_DVPG0: await nicBackingFor(session, await requireByInventoryPath(session, 'DC0/network/DC0_DVPG0', 'network')) },
  };
  host = EsxHostStandIn.start(vcsim, harnessSession, join(work, 'esx'));
  const { iso } = await ensureBootstrapIso();
  openEndpoint = () =>
    startVchEndpoint({
      name: 'vch-e2e',
      stateDir: join(work, 'vch'),
      iso,
      host: '127.0.0.1',
      port: 0,
      vsphere: target,
      liveRestore: true,
      containerNetworks: [{ alias: 'public', portgroup: 'DC0_DVPG0', ipam: { subnet: '10.99.0.0/24', gateway: '10.99.0.1' } }],
    });
  endpoint = await openEndpoint();
  const archive = join(work, 'busybox.tar');
  await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', archive);
  await ok('load', '-q', '-i', archive);
}, 600_000);

afterAll(async () => {
  if (endpoint) {
    // Live restore leaves container VMs running when the endpoint closes: remove them first.
    const ids = (await docker('ps', '-aq')).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await docker('rm', '-f', ...ids);
    await endpoint.close();
  }
  await host?.stop();
  await harnessSession?.logout().catch(() => undefined);
  await session?.logout().catch(() => undefined);
  await vcsim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the Docker API on the vSphere backend (vcsim + an ESX stand-in)', () => {
  it('docker run --rm busybox echo hello prints hello from a VM in the VCH pool, then removes it', async () => {
    expect(await ok('run', '--rm', 'busybox', 'echo', 'hello')).toBe('hello\n');
    expect(await vmsInPool()).toEqual([]);
    expect(host.errors).toEqual([]);
  });

  it('create, start, stop and rm: the VM in vSphere follows each step', async () => {
    const id = (await ok('create', '--name', 'lifecycle', 'busybox', 'sh', '-c', 'echo up; exec sleep 1000')).trim();
    expect(await vmsInPool()).toEqual([]); // the VM is made when the container first starts

    await ok('start', 'lifecycle');
    const [started] = await vmsInPool();
    expect(started).toMatchObject({ name: id, powerState: 'poweredOn' });
    expect(started!.extraConfig).toMatchObject({ 'guestinfo.vic.id': id, 'guestinfo.vic.channel': '/dev/ttyS1' });
    const devices = (started!.devices ?? []).map((device) => [device.type, device.backingType]);
    expect(devices).toEqual(expect.arrayContaining([
      ['VirtualCdrom', 'VirtualCdromIsoBackingInfo'],
      ['VirtualSerialPort', 'VirtualSerialPortFileBackingInfo'],
      ['VirtualSerialPort', 'VirtualSerialPortURIBackingInfo'],
      ['ParaVirtualSCSIController', undefined],
    ]));
    expect(devices.filter(([type]) => type === 'VirtualDisk')).toHaveLength(2); // busybox's one layer and the container's disk
    // The output travels on its own after start returns: wait for it.
    expect(await eventually(() => ok('logs', 'lifecycle'), (logs) => logs === 'up\n')).toBe('up\n');
    expect(await ok('exec', 'lifecycle', 'hostname')).toBe(`${id.slice(0, 12)}\n`);

    await ok('stop', '-t', '1', 'lifecycle');
    expect((await vmsInPool()).map((vm) => vm.powerState)).toEqual(['poweredOff']);

    await ok('rm', 'lifecycle');
    expect(await vmsInPool()).toEqual([]);
    // The image's layer disk stays in the image store for the next container.
    const images = join(await datastoreDir(), 'vch-e2e', 'images');
    expect(existsSync(images)).toBe(true);
    expect(host.errors).toEqual([]);
  });

  it('a restarted endpoint finds its running container VM again from the vSphere inventory', async () => {
    const id = (await ok('run', '-d', '--name', 'survivor', 'busybox', 'sh', '-c', 'echo first; sleep 1000')).trim();
    await endpoint.close();
    endpoint = await openEndpoint();

    expect(await ok('ps', '--format', '{{.Names}} {{.Status}}')).toMatch(/^survivor Up /m);
    expect(await ok('exec', 'survivor', 'echo', 'still here')).toBe('still here\n');
    expect(await eventually(() => ok('logs', 'survivor'), (logs) => logs === 'first\n')).toBe('first\n');
    expect((await vmsInPool()).map((vm) => [vm.name, vm.powerState])).toEqual([[id, 'poweredOn']]);
    await ok('rm', '-f', 'survivor');
    expect(await vmsInPool()).toEqual([]);
  });

  it('keeps a volume as a VMDK in the VCH folder: written by one container, read by the next, deleted with the volume', async () => {
    await ok('volume', 'create', 'data');
    await ok('run', '--rm', '-v', 'data:/data', 'busybox', 'sh', '-c', 'echo kept > /data/file');
    expect(await ok('run', '--rm', '-v', 'data:/data:ro', 'busybox', 'cat', '/data/file')).toBe('kept\n');
    const volumeDisk = join(await datastoreDir(), 'vch-e2e', 'volumes', 'data-flat.vmdk');
    expect(existsSync(volumeDisk)).toBe(true);

    await ok('volume', 'rm', 'data');
    expect(existsSync(volumeDisk)).toBe(false);
    const bind = await docker('run', '--rm', '-v', `${work}:/host`, 'busybox', 'true');
    expect(bind.stderr).toContain('host directories cannot be shared with a container VM on vSphere');
  });

  it('puts containers on a user network on the bridge portgroup, where they reach each other by name', async () => {
    await ok('network', 'create', 'app');
    await ok('run', '-d', '--name', 'web', '--network', 'app', 'busybox', 'sh', '-c', 'mkdir /www && echo hello-from-web > /www/index.html && exec httpd -f -p 80 -h /www');
    const [web] = await vmsInPool();
    const nics = (web!.devices ?? []).filter((device) => device.type === 'VirtualVmxnet3');
    expect(nics.map((nic) => nic.backing?.DeviceName)).toEqual(['VM Network']);

    expect(await ok('run', '--rm', '--network', 'app', 'busybox', 'wget', '-q', '-O', '-', 'http://web/')).toBe('hello-from-web\n');
    const published = await docker('run', '--rm', '-p', '8080:80', 'busybox', 'true');
    expect(published.stderr).toContain("published ports (8080:80/tcp) are not supported by vic's vSphere backend yet");
    await ok('rm', '-f', 'web');
    await ok('network', 'rm', 'app');
  });

  it('offers a vSphere portgroup as a Docker network (a container network): its containers get NICs there and reach each other', async () => {
    expect(await ok('network', 'ls', '--filter', 'name=public', '--format', '{{.Name}}')).toBe('public\n');
    expect((await docker('network', 'rm', 'public')).stderr).toContain('public is a pre-defined network and cannot be removed');
    await ok('run', '-d', '--name', 'edge', '--network', 'public', 'busybox', 'sh', '-c', 'mkdir /www && echo on-the-portgroup > /www/index.html && exec httpd -f -p 80 -h /www');
    const address = (await ok('inspect', '-f', '{{.NetworkSettings.Networks.public.IPAddress}}', 'edge')).trim();
    expect(address).toMatch(/^10\.99\.0\.\d+$/);
    const [edge] = await vmsInPool();
    const nics = (edge!.devices ?? []).filter((device) => device.type === 'VirtualVmxnet3');
    expect(nics.map((nic) => nic.backingType)).toEqual(['VirtualEthernetCardDistributedVirtualPortBackingInfo']);

    expect(await ok('run', '--rm', '--network', 'public', 'busybox', 'wget', '-q', '-O', '-', `http://${address}/`)).toBe('on-the-portgroup\n');
    await ok('rm', '-f', 'edge');
  });
});
