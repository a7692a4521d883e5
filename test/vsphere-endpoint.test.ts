import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EsxHostStandIn } from './support/esx-host/esx-host';
import { eventually, startVsphereEndpointVch, type VsphereEndpointVch } from './support/vsphere-endpoint';

/*
 * The Docker API on the vSphere backend, end to end. vcsim is vSphere: the endpoint creates, powers
 * and destroys container VMs in the VCH's resource pool and uploads the ISO and disks to its
 * datastore through the vim25 API. vcsim runs nothing, so EsxHostStandIn (support/esx-host) plays
 * the ESX host: it boots a real QEMU VM from each powered-on VM's files and devices. The docker
 * CLI is the real one; the output it prints came from a process in that VM.
 */

let vch: VsphereEndpointVch;
let host: EsxHostStandIn;
let work: string;
const docker = (...args: string[]) => vch.docker(...args);
const ok = (...args: string[]) => vch.ok(...args);
const vmsInPool = () => vch.vmsInPool();
const datastoreDir = () => vch.datastoreDir();

beforeAll(async () => {
  vch = await startVsphereEndpointVch('vch-e2e', '10.99.0');
  ({ host, work } = vch);
}, 600_000);

afterAll(async () => {
  await vch?.close();
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
    await vch.reopenEndpoint();

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
