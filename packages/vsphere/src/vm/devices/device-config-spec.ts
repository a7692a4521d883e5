import { vimObject } from '../../soap/xsi.js';

export type DeviceOperation = 'add' | 'remove' | 'edit';

/** VirtualDeviceConfigSpec (operation, fileOperation, device). */
export function deviceConfigSpec(operation: DeviceOperation, device: object, fileOperation?: 'create' | 'destroy' | 'replace'): object {
  return vimObject('VirtualDeviceConfigSpec', {
    operation,
    ...(fileOperation === undefined ? {} : { fileOperation }),
    device,
  });
}

/** VirtualDeviceConnectInfo (startConnected, allowGuestControl, connected). */
export function connectInfo(startConnected: boolean): object {
  return vimObject('VirtualDeviceConnectInfo', { startConnected, allowGuestControl: true, connected: startConnected });
}

/** An existing device named by type and key, for a `remove` (vSphere finds it by its key). */
export function existingDevice(type: string, key: number): object {
  return vimObject(type, { key });
}
