import { describe, expect, it } from 'vitest';
import type { NicBacking, VirtualDeviceInfo, VmHardware } from '../packages/vsphere/src/index';
import { reconcileDevices, type DesiredDevices } from '../apps/endpoint/src/portlayer/vsphere/device-reconcile';

/*
 * The pure part of matching an existing container VM to its next start: (devices it has, devices
 * it should have) -> one ReconfigVM_Task's spec. No vSphere here: the end-to-end effect on vcsim's
 * inventory and in the guest is in vsphere-containers.test.ts. Docker cannot start a container
 * again with other volumes, so this is where volume reconciling is tested.
 */

const bridge: NicBacking = { kind: 'network', network: { type: 'Network', value: 'network-7' }, name: 'VM Network' };
const dvpg: NicBacking = { kind: 'distributed', switchUuid: 'uuid-1', portgroupKey: 'dvportgroup-9' };

const controller: VirtualDeviceInfo = { key: 1000, type: 'ParaVirtualSCSIController' };
const layerDisk = (unit: number): VirtualDeviceInfo => ({
  key: 2000 + unit, type: 'VirtualDisk', controllerKey: 1000, unitNumber: unit,
  backing: { type: 'VirtualDiskFlatVer2BackingInfo', fileName: `[ds] vch/images/l${unit}.vmdk`, diskMode: 'independent_nonpersistent' },
});
const writable: VirtualDeviceInfo = {
  key: 2001, type: 'VirtualDisk', controllerKey: 1000, unitNumber: 1,
  backing: { type: 'VirtualDiskFlatVer2BackingInfo', fileName: '[ds] vch/containers/c/rw.vmdk', diskMode: 'persistent' },
};
const volume = (key: number, name: string, unit: number): VirtualDeviceInfo => ({
  key, type: 'VirtualDisk', controllerKey: 1000, unitNumber: unit,
  backing: { type: 'VirtualDiskFlatVer2BackingInfo', fileName: `[ds] vch/volumes/${name}.vmdk`, diskMode: 'independent_persistent' },
});
const nicOn = (key: number, mac: string, backing: NicBacking): VirtualDeviceInfo => ({
  key, type: 'VirtualVmxnet3', macAddress: mac,
  backing: backing.kind === 'network'
    ? { type: 'VirtualEthernetCardNetworkBackingInfo', deviceName: backing.name }
    : { type: 'VirtualEthernetCardDistributedVirtualPortBackingInfo', portgroupKey: backing.portgroupKey },
});

function hardware(...devices: VirtualDeviceInfo[]): VmHardware {
  return { devices: [controller, layerDisk(0), writable, ...devices], numCPUs: 1, memoryMB: 512 };
}
const desired = (change: Partial<DesiredDevices>): DesiredDevices => ({ volumeSlotBase: 2, volumeDisks: [], nics: [], numCPUs: 1, memoryMB: 512, ...change });

/** The spec's device changes as [operation, device type, key, unit or MAC, file or portgroup] rows. */
function rows(spec: ReturnType<typeof reconcileDevices>): unknown[][] {
  return ((spec?.deviceChange ?? []) as { operation: string; fileOperation?: string; device: Record<string, unknown> & { attributes: { xsi_type: { type: string } } } }[]).map((change) => {
    const device = change.device;
    const backing = device.backing as { fileName?: string; deviceName?: string; port?: { portgroupKey: string } } | undefined;
    return [
      change.operation + (change.fileOperation ? `/${change.fileOperation}` : ''),
      device.attributes.xsi_type.type,
      device.key,
      device.unitNumber ?? device.macAddress,
      backing?.fileName ?? backing?.deviceName ?? backing?.port?.portgroupKey,
    ];
  });
}

describe('reconcileDevices: an existing container VM made to match its next start', () => {
  it('changes nothing when the VM already matches', () => {
    const current = hardware(volume(3000, 'a', 2), nicOn(4000, '02:00:00:00:00:01', bridge));
    expect(reconcileDevices(current, desired({ volumeDisks: ['[ds] vch/volumes/a.vmdk'], nics: [{ mac: '02:00:00:00:00:01', backing: bridge }] }))).toBeUndefined();
  });

  it('removes the NICs not asked for and adds the missing ones on their portgroup, by MAC', () => {
    const current = hardware(nicOn(4000, '02:00:00:00:00:01', bridge), nicOn(4001, '02:00:00:00:00:02', bridge));
    const spec = reconcileDevices(current, desired({ nics: [{ mac: '02:00:00:00:00:02', backing: bridge }, { mac: '02:00:00:00:00:03', backing: dvpg }] }));
    expect(rows(spec)).toEqual([
      ['remove', 'VirtualVmxnet3', 4000, undefined, undefined],
      ['add', 'VirtualVmxnet3', -300, '02:00:00:00:00:03', 'dvportgroup-9'],
    ]);
  });

  it('moves a NIC whose MAC is kept but whose portgroup changed', () => {
    const spec = reconcileDevices(hardware(nicOn(4000, '02:00:00:00:00:01', bridge)), desired({ nics: [{ mac: '02:00:00:00:00:01', backing: dvpg }] }));
    expect(rows(spec)).toEqual([
      ['remove', 'VirtualVmxnet3', 4000, undefined, undefined],
      ['add', 'VirtualVmxnet3', -300, '02:00:00:00:00:01', 'dvportgroup-9'],
    ]);
  });

  it('detaches volumes no longer asked for without a file operation, and attaches the new ones at the slots the tether is told', () => {
    const current = hardware(volume(3000, 'a', 2), volume(3001, 'b', 3));
    // b stays but is now the first volume: it moves to the first volume slot, a leaves, c comes second.
    const spec = reconcileDevices(current, desired({ volumeDisks: ['[ds] vch/volumes/b.vmdk', '[other] store/c.vmdk'] }));
    expect(rows(spec)).toEqual([
      ['remove', 'VirtualDisk', 3000, undefined, undefined],
      ['remove', 'VirtualDisk', 3001, undefined, undefined],
      ['add', 'VirtualDisk', -200, 2, '[ds] vch/volumes/b.vmdk'],
      ['add', 'VirtualDisk', -201, 3, '[other] store/c.vmdk'],
    ]);
    const added = (spec!.deviceChange as { device: { controllerKey: number; backing: { diskMode: string } } }[]).slice(2);
    expect(added.map((change) => [change.device.controllerKey, change.device.backing.diskMode])).toEqual([[1000, 'independent_persistent'], [1000, 'independent_persistent']]);
  });

  it('skips unit 7 (the controller\'s own) for the volume slots past it', () => {
    const layers = [0, 1, 2, 3, 4, 5].map(layerDisk);
    const current: VmHardware = { devices: [controller, ...layers, { ...writable, unitNumber: 6 }], numCPUs: 1, memoryMB: 512 };
    expect(rows(reconcileDevices(current, desired({ volumeSlotBase: 7, volumeDisks: ['[ds] v.vmdk'] })))).toEqual([['add', 'VirtualDisk', -200, 8, '[ds] v.vmdk']]);
  });

  it('never touches the layers or the container disk, and sets CPUs and memory only when they differ', () => {
    const spec = reconcileDevices(hardware(), desired({ numCPUs: 2, memoryMB: 1024 }));
    expect(spec).toEqual({ numCPUs: 2, memoryMB: 1024 });
    expect(reconcileDevices(hardware(), desired({ memoryMB: 256 }))).toEqual({ memoryMB: 256 });
  });

  it('refuses a VM without the PVSCSI controller every container VM has', () => {
    expect(() => reconcileDevices({ devices: [], numCPUs: 1, memoryMB: 512 }, desired({}))).toThrow('the container VM has no PVSCSI controller: not a vic container VM');
  });
});
