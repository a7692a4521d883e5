import { toSoapMoRef, type MoRef } from '../../soap/moref.js';
import { vimObject } from '../../soap/xsi.js';

export type DiskMode = 'persistent' | 'independent_persistent' | 'independent_nonpersistent' | 'nonpersistent';

export interface DiskDevice {
  readonly key: number;
  /** The VMDK's datastore path. For a new disk, "[ds] dir/name.vmdk" (or "[ds]" to let vSphere name it). */
  readonly path: string;
  readonly datastore?: MoRef;
  readonly controllerKey: number;
  readonly unitNumber: number;
  /** Size of a disk to create; omit when attaching an existing VMDK. */
  readonly capacityKb?: number;
  readonly mode?: DiskMode;
  readonly thin?: boolean;
}

/** VirtualDisk with a VirtualDiskFlatVer2BackingInfo. */
export function disk(device: DiskDevice): object {
  return vimObject('VirtualDisk', {
    key: device.key,
    backing: vimObject('VirtualDiskFlatVer2BackingInfo', {
      fileName: device.path,
      ...(device.datastore === undefined ? {} : { datastore: toSoapMoRef(device.datastore) }),
      diskMode: device.mode ?? 'persistent',
      thinProvisioned: device.thin ?? true,
    }),
    controllerKey: device.controllerKey,
    unitNumber: device.unitNumber,
    ...(device.capacityKb === undefined ? {} : { capacityInKB: device.capacityKb }),
  });
}
