import { deviceConfigSpec, disk, existingDevice, vmxnet3, type NicBacking, type VirtualDeviceInfo, type VmConfig, type VmHardware } from '@vic/vsphere';
import { diskSlot, VOLUME_DISK_MODE } from './container-vm-config';

/** What a container VM must have at this start, beyond the disks it keeps (its layers and its own disk). */
export interface DesiredDevices {
  /** How many disks come before the volumes (the layers and the writable disk): the first volume is at diskSlot(this). */
  volumeSlotBase: number;
  /** The volumes' VMDKs as datastore paths, in mount order: volume i at diskSlot(volumeSlotBase + i). */
  volumeDisks: string[];
  nics: { mac: string; backing: NicBacking }[];
  numCPUs: number;
  memoryMB: number;
}

/** Keys vSphere replaces with its own: distinct negative numbers within one spec. */
const NEW_DISK_KEY = -200;
const NEW_NIC_KEY = -300;

function sameBacking(device: VirtualDeviceInfo, backing: NicBacking): boolean {
  return backing.kind === 'network'
    ? device.backing?.type === 'VirtualEthernetCardNetworkBackingInfo' && device.backing.deviceName === backing.name
    : device.backing?.type === 'VirtualEthernetCardDistributedVirtualPortBackingInfo' && device.backing.portgroupKey === backing.portgroupKey;
}

/** Only ethernet cards have a MAC address. */
const isNic = (device: VirtualDeviceInfo): boolean => device.macAddress !== undefined;

/**
 * The reconfiguration that makes an existing (powered-off) container VM match this start: NICs by
 * MAC (on the right portgroup), volume disks by datastore path at the units the tether is told,
 * CPUs and memory. Removes come before adds, so a unit freed here can be taken again in the same
 * spec. A volume disk is removed without a file operation: a volume outlives every VM it was in.
 * Layers and the container's own disk are not touched. Undefined when the VM already matches.
 */
export function reconcileDevices(current: VmHardware, desired: DesiredDevices): VmConfig | undefined {
  const controller = current.devices.find((device) => device.type === 'ParaVirtualSCSIController');
  if (!controller) throw new Error('the container VM has no PVSCSI controller: not a vic container VM');
  const removals: object[] = [];
  const additions: object[] = [];

  const volumesNow = current.devices.filter((device) => device.type === 'VirtualDisk' && device.backing?.diskMode === VOLUME_DISK_MODE);
  const wanted = desired.volumeDisks.map((path, index) => ({ path, unit: diskSlot(desired.volumeSlotBase + index).unit }));
  const kept = new Set<string>();
  for (const device of volumesNow) {
    const match = wanted.find((want) => want.path === device.backing?.fileName && want.unit === device.unitNumber && device.controllerKey === controller.key);
    if (match) kept.add(match.path);
    else removals.push(deviceConfigSpec('remove', existingDevice('VirtualDisk', device.key)));
  }
  wanted
    .filter((want) => !kept.has(want.path))
    .forEach((want, index) => {
      additions.push(deviceConfigSpec('add', disk({ key: NEW_DISK_KEY - index, path: want.path, controllerKey: controller.key, unitNumber: want.unit, mode: VOLUME_DISK_MODE })));
    });

  const nicsNow = current.devices.filter(isNic);
  const keptMacs = new Set<string>();
  for (const device of nicsNow) {
    const mac = device.macAddress!.toLowerCase();
    const match = desired.nics.find((nic) => nic.mac.toLowerCase() === mac && sameBacking(device, nic.backing));
    if (match && !keptMacs.has(mac)) keptMacs.add(mac);
    else removals.push(deviceConfigSpec('remove', existingDevice(device.type, device.key)));
  }
  desired.nics
    .filter((nic) => !keptMacs.has(nic.mac.toLowerCase()))
    .forEach((nic, index) => additions.push(deviceConfigSpec('add', vmxnet3({ key: NEW_NIC_KEY - index, backing: nic.backing, macAddress: nic.mac }))));

  const deviceChange = [...removals, ...additions];
  const sizeChange = {
    ...(current.numCPUs === desired.numCPUs ? {} : { numCPUs: desired.numCPUs }),
    ...(current.memoryMB === desired.memoryMB ? {} : { memoryMB: desired.memoryMB }),
  };
  if (deviceChange.length === 0 && Object.keys(sizeChange).length === 0) return undefined;
  return { ...sizeChange, ...(deviceChange.length > 0 ? { deviceChange } : {}) };
}
