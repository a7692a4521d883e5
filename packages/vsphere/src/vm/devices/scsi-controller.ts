import { vimObject } from '../../soap/xsi.js';

/** ParaVirtualSCSIController on bus `busNumber` (VirtualDevice, VirtualController, VirtualSCSIController fields). */
export function pvscsiController(key: number, busNumber = 0): object {
  return vimObject('ParaVirtualSCSIController', { key, busNumber, hotAddRemove: true, sharedBus: 'noSharing' });
}
