import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cdrom,
  createVApp,
  createVm,
  datastorePath,
  destroyVm,
  destroyEntity,
  deviceConfigSpec,
  disk,
  existingDevice,
  listPoolVms,
  networkSerialPort,
  nicBackingFor,
  powerOffVm,
  powerOnVm,
  pvscsiController,
  readDevices,
  readHardware,
  readVm,
  reconfigureVm,
  requireByInventoryPath,
  VimFault,
  VimSession,
  vmxnet3,
  waitForProperties,
  type MoRef,
} from '../packages/vsphere/src/index';
import { startVcsim, type Vcsim, type VcsimVm } from './support/vcsim';

let vcsim: Vcsim;
let session: VimSession;
let folder: MoRef;
let pool: MoRef;
let network: MoRef;

beforeAll(async () => {
  vcsim = await startVcsim();
  session = await VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
  folder = await requireByInventoryPath(session, 'DC0/vm', 'folder');
  pool = await requireByInventoryPath(session, 'DC0/host/DC0_C0/Resources', 'resource pool');
  network = await requireByInventoryPath(session, 'DC0/network/VM Network', 'network');
});
afterAll(async () => {
  await session?.logout();
  await vcsim?.stop();
});

async function vmInInventory(vm: MoRef): Promise<VcsimVm> {
  const found = (await vcsim.inventory()).vms.find((candidate) => candidate.ref.value === vm.value);
  if (found === undefined) throw new Error(`vcsim has no VM ${vm.value}`);
  return found;
}

/** A container VM as the vSphere backend will make it: ISO CD-ROM, disk, NIC, network serial port, guestinfo. */
function containerVmDevices(): object[] {
  return [
    deviceConfigSpec('add', cdrom({ key: -1, isoPath: datastorePath('LocalDS_0', 'vic/bootstrap.iso') })),
    deviceConfigSpec('add', pvscsiController(-2)),
    deviceConfigSpec('add', disk({ key: -3, path: datastorePath('LocalDS_0', 'c1/c1.vmdk'), controllerKey: -2, unitNumber: 0, capacityKb: 1024 * 1024 }), 'create'),
    deviceConfigSpec('add', vmxnet3({ key: -4, backing: { kind: 'network', network, name: 'VM Network' } })),
    deviceConfigSpec('add', networkSerialPort({ key: -5, uri: 'tcp://127.0.0.1:2377', direction: 'client' })),
  ];
}

describe('vSphere virtual machines', () => {
  it('creates a VM with a CD-ROM ISO, a disk, a NIC, a network serial port and guestinfo', async () => {
    const vm = await createVm(
      session,
      { folder, pool },
      {
        name: 'c1',
        guestId: 'otherGuest64',
        vmPathName: datastorePath('LocalDS_0'),
        numCPUs: 1,
        memoryMB: 512,
        deviceChange: containerVmDevices(),
        extraConfig: { 'guestinfo.vic.id': 'c1', 'guestinfo.vic.token': 's3cret' },
      },
    );
    expect(vm.type).toBe('VirtualMachine');

    const seen = await vmInInventory(vm);
    expect(seen).toMatchObject({ name: 'c1', powerState: 'poweredOff', resourcePool: pool });
    expect(seen.extraConfig).toMatchObject({ 'guestinfo.vic.id': 'c1', 'guestinfo.vic.token': 's3cret' });
    const backings = (seen.devices ?? []).map((device) => [device.type, device.backingType, device.backing]);
    expect(backings).toContainEqual(['VirtualCdrom', 'VirtualCdromIsoBackingInfo', expect.objectContaining({ FileName: '[LocalDS_0] vic/bootstrap.iso' })]);
    expect(backings).toContainEqual(['VirtualDisk', 'VirtualDiskFlatVer2BackingInfo', expect.objectContaining({ FileName: '[LocalDS_0] c1/c1.vmdk' })]);
    expect(backings).toContainEqual(['VirtualVmxnet3', 'VirtualEthernetCardNetworkBackingInfo', expect.objectContaining({ DeviceName: 'VM Network' })]);
    expect(backings).toContainEqual([
      'VirtualSerialPort',
      'VirtualSerialPortURIBackingInfo', expect.objectContaining({ ServiceURI: 'tcp://127.0.0.1:2377', Direction: 'client' }),
    ]);

    expect(await readVm(session, vm)).toMatchObject({ name: 'c1', powerState: 'poweredOff', extraConfig: expect.objectContaining({ 'guestinfo.vic.id': 'c1' }) });
    await destroyVm(session, vm);
  });

  it('sends the builtin xsi types with the xsd: prefix and spec fields in schema order', async () => {
    const vm = await createVm(session, { folder, pool }, { name: 'ordered', guestId: 'otherGuest64', vmPathName: '[LocalDS_0]', numCPUs: 1, memoryMB: 64, extraConfig: { 'guestinfo.a': 'b' } });
    const request = (await vcsim.calls()).filter((call) => call.method === 'CreateVM_Task').at(-1)!.request;
    expect(request).toMatch(/<vim:value xsi:type="xsd:string"[^>]*>b<\/vim:value>/);
    const order = ['name', 'guestId', 'files', 'numCPUs', 'memoryMB', 'extraConfig'].map((field) => request.indexOf(`<vim:${field}`));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    await destroyVm(session, vm);
  });

  it('reconfigures guestinfo and the serial port URI of an existing VM', async () => {
    const vm = await createVm(session, { folder, pool }, { name: 'c2', guestId: 'otherGuest64', vmPathName: '[LocalDS_0]', memoryMB: 64 });
    await reconfigureVm(session, vm, {
      deviceChange: [deviceConfigSpec('add', networkSerialPort({ key: -1, uri: 'tcp://10.0.0.9:2377', direction: 'client' }))],
      extraConfig: { 'guestinfo.vic.state': 'one' },
    });
    await reconfigureVm(session, vm, { extraConfig: { 'guestinfo.vic.state': 'two' }, memoryMB: 128 });
    const seen = await vmInInventory(vm);
    expect(seen.extraConfig?.['guestinfo.vic.state']).toBe('two');
    expect((await readVm(session, vm)).extraConfig['guestinfo.vic.state']).toBe('two');
    expect(seen.devices?.filter((device) => device.type === 'VirtualSerialPort').map((device) => device.backing?.ServiceURI)).toEqual(['tcp://10.0.0.9:2377']);
    await destroyVm(session, vm);
  });

  it('reads devices back, re-points a serial port by editing it, and removes it', async () => {
    const vm = await createVm(session, { folder, pool }, {
      name: 'c5',
      guestId: 'otherGuest64',
      vmPathName: '[LocalDS_0]',
      memoryMB: 64,
      deviceChange: [
        deviceConfigSpec('add', cdrom({ key: -1, isoPath: '[LocalDS_0] vic/bootstrap.iso' })),
        deviceConfigSpec('add', networkSerialPort({ key: -2, uri: 'tcp://10.0.0.1:2377', direction: 'client' })),
      ],
    });
    const serial = (await readDevices(session, vm)).find((device) => device.type === 'VirtualSerialPort')!;
    expect(serial.backing).toEqual({ type: 'VirtualSerialPortURIBackingInfo', serviceURI: 'tcp://10.0.0.1:2377', direction: 'client' });
    expect(typeof serial.key).toBe('number');
    const iso = (await readDevices(session, vm)).find((device) => device.type === 'VirtualCdrom')!;
    expect(iso).toMatchObject({ controllerKey: 200, unitNumber: 0, backing: { type: 'VirtualCdromIsoBackingInfo', fileName: '[LocalDS_0] vic/bootstrap.iso' } });

    await reconfigureVm(session, vm, {
      deviceChange: [deviceConfigSpec('edit', networkSerialPort({ ...serial, uri: 'tcp://10.0.0.2:2377', direction: 'client' }))],
    });
    const serials = async (): Promise<unknown[]> =>
      ((await vmInInventory(vm)).devices ?? []).filter((device) => device.type === 'VirtualSerialPort').map((device) => device.backing?.ServiceURI);
    expect(await serials()).toEqual(['tcp://10.0.0.2:2377']);

    await reconfigureVm(session, vm, { deviceChange: [deviceConfigSpec('remove', existingDevice('VirtualSerialPort', serial.key))] });
    expect(await serials()).toEqual([]);
    expect((await readDevices(session, vm)).some((device) => device.type === 'VirtualSerialPort')).toBe(false);
    await destroyVm(session, vm);
  });

  it('powers a VM on and off, and WaitForUpdatesEx sees the power change', async () => {
    const vm = await createVm(session, { folder, pool }, { name: 'c3', guestId: 'otherGuest64', vmPathName: '[LocalDS_0]', memoryMB: 64 });
    const states: unknown[] = [];
    const poweredOn = waitForProperties(session, vm, ['runtime.powerState'], (values) => values['runtime.powerState'] === 'poweredOn', {
      timeoutMs: 30_000,
      onChange: (values) => states.push(values['runtime.powerState']),
    });
    // The watcher's first update is the current state; power on only after it is in place.
    await expect.poll(() => states.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const progress: number[] = [];
    await powerOnVm(session, vm, { timeoutMs: 30_000, onProgress: (percent) => progress.push(percent) });
    await poweredOn;
    expect(states).toEqual(['poweredOff', 'poweredOn']);
    expect((await vmInInventory(vm)).powerState).toBe('poweredOn');

    await powerOffVm(session, vm);
    expect((await vmInInventory(vm)).powerState).toBe('poweredOff');
    await destroyVm(session, vm);
    expect((await vcsim.inventory()).vms.map((candidate) => candidate.name)).not.toContain('c3');
  });

  it('maps a task fault to its typed name: powering on a VM that is already on is InvalidPowerState', async () => {
    const vm = await createVm(session, { folder, pool }, { name: 'c4', guestId: 'otherGuest64', vmPathName: '[LocalDS_0]', memoryMB: 64 });
    await powerOnVm(session, vm);
    const error = await powerOnVm(session, vm).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VimFault);
    expect(error).toMatchObject({ faultName: 'InvalidPowerState' });
    expect((error as VimFault).detail).toMatchObject({ existingState: 'poweredOn' });
    await powerOffVm(session, vm);
    await destroyVm(session, vm);
    const again = await destroyVm(session, vm).catch((e: unknown) => e);
    expect(again).toMatchObject({ faultName: 'ManagedObjectNotFound' });
  });

  it('connects NICs to a standard and a distributed portgroup', async () => {
    const dvpg = await requireByInventoryPath(session, 'DC0/network/DC0_DVPG0', 'network');
    const vm = await createVm(session, { folder, pool }, {
      name: 'two-nics',
      guestId: 'otherGuest64',
      vmPathName: '[LocalDS_0]',
      memoryMB: 64,
      deviceChange: [
        deviceConfigSpec('add', vmxnet3({ key: -1, backing: await nicBackingFor(session, network) })),
        deviceConfigSpec('add', vmxnet3({ key: -2, backing: await nicBackingFor(session, dvpg), macAddress: '00:50:56:aa:bb:cc' })),
      ],
    });
    const nics = ((await vmInInventory(vm)).devices ?? []).filter((device) => device.type === 'VirtualVmxnet3');
    expect(nics.map((nic) => nic.backingType)).toEqual(['VirtualEthernetCardNetworkBackingInfo', 'VirtualEthernetCardDistributedVirtualPortBackingInfo']);
    expect(nics[0]!.backing).toMatchObject({ DeviceName: 'VM Network' });
    expect(nics[1]!.backing).toMatchObject({ Port: expect.objectContaining({ PortgroupKey: dvpg.value }) });
    await destroyVm(session, vm);
    await expect(nicBackingFor(session, folder)).rejects.toThrow('a NIC cannot be connected to a Folder');
  });

  it('reads a VM\'s hardware back in one call: CPUs, memory, NIC MACs and portgroup keys, disk modes', async () => {
    const dvpg = await requireByInventoryPath(session, 'DC0/network/DC0_DVPG0', 'network');
    const vm = await createVm(session, { folder, pool }, {
      name: 'hardware',
      guestId: 'otherGuest64',
      vmPathName: '[LocalDS_0]',
      numCPUs: 2,
      memoryMB: 96,
      deviceChange: [
        deviceConfigSpec('add', pvscsiController(-1)),
        deviceConfigSpec('add', disk({ key: -2, path: datastorePath('LocalDS_0', 'hardware/v.vmdk'), controllerKey: -1, unitNumber: 2, capacityKb: 1024, mode: 'independent_persistent' }), 'create'),
        deviceConfigSpec('add', vmxnet3({ key: -3, backing: await nicBackingFor(session, dvpg), macAddress: '00:50:56:aa:bb:01' })),
      ],
    });
    const hardware = await readHardware(session, vm);
    expect([hardware.numCPUs, hardware.memoryMB]).toEqual([2, 96]);
    const nic = hardware.devices.find((device) => device.type === 'VirtualVmxnet3');
    expect(nic).toMatchObject({ macAddress: '00:50:56:aa:bb:01', backing: { type: 'VirtualEthernetCardDistributedVirtualPortBackingInfo', portgroupKey: dvpg.value } });
    const volume = hardware.devices.find((device) => device.type === 'VirtualDisk');
    expect(volume).toMatchObject({ unitNumber: 2, backing: { fileName: '[LocalDS_0] hardware/v.vmdk', diskMode: 'independent_persistent' } });
    await destroyVm(session, vm);
  });

  it('creates a VM inside a vApp', async () => {
    const vapp = await createVApp(session, pool, 'vch', { vmFolder: folder });
    const vm = await createVm(session, { folder, pool: vapp }, { name: 'in-vapp', guestId: 'otherGuest64', vmPathName: '[LocalDS_0]', memoryMB: 64 });
    expect((await vmInInventory(vm)).resourcePool).toEqual(vapp);
    expect(await listPoolVms(session, vapp)).toEqual([{ ref: vm, name: 'in-vapp', powerState: 'poweredOff' }]);
    expect((await vcsim.calls()).some((call) => call.method === 'CreateChildVM_Task')).toBe(true);
    await destroyVm(session, vm);
    await destroyEntity(session, vapp);
  });
});
