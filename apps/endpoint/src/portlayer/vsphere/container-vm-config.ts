import { GUESTINFO_KEYS } from '@vic/protocol';
import { cdrom, deviceConfigSpec, disk, fileSerialPort, networkSerialPort, pvscsiController, vmxnet3, type DiskMode, type NicBacking, type VmConfig } from '@vic/vsphere';
import { storePath } from './datastore-files';
import type { VsphereTarget } from './vsphere-target';

/** The serial device the channel is on in the guest: the console's file-backed port comes first (ttyS0). */
export const CHANNEL_DEVICE = '/dev/ttyS1';

const SCSI_CONTROLLER_KEY = -10;
/** Independent: a volume is not part of the VM's snapshots, it belongs to no VM. It is also how a VM's volume disks are told from its others. */
export const VOLUME_DISK_MODE: DiskMode = 'independent_persistent';

export interface ContainerVmLayout {
  containerId: string;
  token: string;
  /** Image layers (lowest first) as VMDKs in the VCH's folder, relative to it. */
  layerDisks: string[];
  /** The container's own disk, relative to the VCH's folder. */
  writableDisk: string;
  /** Its volumes' disks, as datastore paths (their stores may be anywhere), in the order they are mounted. */
  volumeDisks: string[];
  channelPort: number;
  /** The container's NICs, one per Docker network it is on: on that network's portgroup, or the bridge network's. */
  nics: { mac: string; portgroup?: string }[];
  memoryMiB: number;
  cpus: number;
}

/** The slot a disk is attached at, as the tether finds it ("scsi0:<unit>"); unit 7 is the controller's own. */
export function diskSlot(index: number): { unit: number; serial: string } {
  const unit = index < 7 ? index : index + 1;
  return { unit, serial: `scsi0:${unit}` };
}

export function nicBacking(target: VsphereTarget, portgroup: string | undefined, containerId: string): NicBacking {
  if (portgroup !== undefined) {
    const backing = target.containerNetworks?.[portgroup];
    if (!backing) throw new Error(`container ${containerId} is on the container network of portgroup ${portgroup}, which the VCH does not know`);
    return backing;
  }
  if (!target.bridgeNetwork) throw new Error(`container ${containerId} is on a Docker network, but the VCH has no bridge network (vic-machine create --bridge-network)`);
  return target.bridgeNetwork;
}

/**
 * A container VM as vSphere holds it: the bootstrap ISO on a CD-ROM, its layers (non-persistent:
 * the guest cannot change them) and its own disk on a PVSCSI controller, its console kept in a file
 * on the datastore, its channel a network serial port dialing the endpoint, a vmxnet3 NIC per Docker
 * network (on its container network's portgroup, or on the bridge network), and who it is in guestinfo.
 */
export function containerVmConfig(target: VsphereTarget, layout: ContainerVmLayout): VmConfig {
  const disks = [
    ...layout.layerDisks.map((path) => ({ path: storePath(target, path), mode: 'independent_nonpersistent' as const })),
    { path: storePath(target, layout.writableDisk), mode: 'persistent' as const },
    ...layout.volumeDisks.map((path) => ({ path, mode: VOLUME_DISK_MODE })),
  ];
  return {
    name: layout.containerId,
    guestId: 'otherGuest64',
    vmPathName: storePath(target, `containers/${layout.containerId}/${layout.containerId}.vmx`),
    numCPUs: layout.cpus,
    memoryMB: layout.memoryMiB,
    deviceChange: [
      deviceConfigSpec('add', cdrom({ key: -1, isoPath: storePath(target, 'bootstrap.iso') })),
      deviceConfigSpec('add', fileSerialPort({ key: -2, path: storePath(target, `containers/${layout.containerId}/console.log`) })),
      deviceConfigSpec('add', networkSerialPort({ key: -3, uri: `tcp://${target.channelHost}:${layout.channelPort}`, direction: 'client' })),
      deviceConfigSpec('add', pvscsiController(SCSI_CONTROLLER_KEY)),
      ...layout.nics.map((nic, index) => deviceConfigSpec('add', vmxnet3({ key: -40 - index, backing: nicBacking(target, nic.portgroup, layout.containerId), macAddress: nic.mac }))),
      ...disks.map((entry, index) =>
        deviceConfigSpec('add', disk({ key: -20 - index, path: entry.path, controllerKey: SCSI_CONTROLLER_KEY, unitNumber: diskSlot(index).unit, mode: entry.mode })),
      ),
    ],
    extraConfig: {
      [GUESTINFO_KEYS.containerId]: layout.containerId,
      [GUESTINFO_KEYS.token]: layout.token,
      [GUESTINFO_KEYS.channelDevice]: CHANNEL_DEVICE,
    },
  };
}
