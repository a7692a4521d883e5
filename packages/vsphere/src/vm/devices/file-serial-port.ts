import { vimObject } from '../../soap/xsi.js';
import { connectInfo } from './device-config-spec.js';

export interface FileSerialPortDevice {
  readonly key: number;
  /** A datastore path the port's output is written to, "[datastore1] vm/console.log". */
  readonly path: string;
}

/** VirtualSerialPort with a VirtualSerialPortFileBackingInfo: a VM's serial console kept as a file. */
export function fileSerialPort(device: FileSerialPortDevice): object {
  return vimObject('VirtualSerialPort', {
    key: device.key,
    backing: vimObject('VirtualSerialPortFileBackingInfo', { fileName: device.path }),
    connectable: connectInfo(true),
    yieldOnPoll: true,
  });
}
