import { vimObject } from '../../soap/xsi.js';
import { connectInfo } from './device-config-spec.js';

export interface SerialPortDevice {
  readonly key: number;
  /** e.g. "tcp://10.0.0.2:2377" (the VM connects) or "telnet://:2377" (the VM listens). */
  readonly uri: string;
  /** `client`: the VM dials `uri`; `server`: the VM listens on it. */
  readonly direction: 'client' | 'server';
  /** A vSPC proxy in front of the URI, as VIC's appliance used. */
  readonly proxyUri?: string;
  readonly startConnected?: boolean;
  /**
   * The existing device's label, when editing: an edit carries the whole device, deviceInfo included
   * (vcsim fails the call without it).
   */
  readonly label?: string;
  readonly controllerKey?: number;
  readonly unitNumber?: number;
}

/** VirtualSerialPort with a VirtualSerialPortURIBackingInfo (a network serial port). */
export function networkSerialPort(device: SerialPortDevice): object {
  return vimObject('VirtualSerialPort', {
    key: device.key,
    ...(device.label === undefined ? {} : { deviceInfo: vimObject('Description', { label: device.label, summary: device.label }) }),
    backing: vimObject('VirtualSerialPortURIBackingInfo', {
      serviceURI: device.uri,
      direction: device.direction,
      ...(device.proxyUri === undefined ? {} : { proxyURI: device.proxyUri }),
    }),
    connectable: connectInfo(device.startConnected ?? true),
    ...(device.controllerKey === undefined ? {} : { controllerKey: device.controllerKey }),
    ...(device.unitNumber === undefined ? {} : { unitNumber: device.unitNumber }),
    yieldOnPoll: true,
  });
}
