import { toSoapMoRef, type MoRef } from '../../soap/moref.js';
import { vimObject } from '../../soap/xsi.js';
import { connectInfo } from './device-config-spec.js';

/** The first IDE controller vSphere gives every new VM. */
export const IDE0_KEY = 200;

export interface CdromDevice {
  readonly key: number;
  /** A datastore path, "[datastore1] vic/bootstrap.iso". */
  readonly isoPath: string;
  readonly datastore?: MoRef;
  readonly controllerKey?: number;
  readonly unitNumber?: number;
}

/** VirtualCdrom with a VirtualCdromIsoBackingInfo, connected at power on. */
export function cdrom(device: CdromDevice): object {
  return vimObject('VirtualCdrom', {
    key: device.key,
    backing: vimObject('VirtualCdromIsoBackingInfo', {
      fileName: device.isoPath,
      ...(device.datastore === undefined ? {} : { datastore: toSoapMoRef(device.datastore) }),
    }),
    connectable: connectInfo(true),
    controllerKey: device.controllerKey ?? IDE0_KEY,
    unitNumber: device.unitNumber ?? 0,
  });
}
