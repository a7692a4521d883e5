import { retrieveOne } from '../property/retrieve-properties.js';
import type { VimSession } from '../session/vim-session.js';
import { asArray } from '../soap/any-value.js';
import type { MoRef } from '../soap/moref.js';

/** What callers need to find a device again (to edit or remove it): its key, type, place and backing. */
export interface VirtualDeviceInfo {
  readonly key: number;
  /** The vim25 device type: VirtualCdrom, VirtualDisk, VirtualVmxnet3, VirtualSerialPort, ... */
  readonly type: string;
  readonly label?: string;
  readonly controllerKey?: number;
  readonly unitNumber?: number;
  readonly backing?: DeviceBackingInfo;
  /** Ethernet cards: the MAC address. */
  readonly macAddress?: string;
}

export interface DeviceBackingInfo {
  readonly type: string;
  /** File backings (ISO, VMDK): the datastore path. */
  readonly fileName?: string;
  /** Network backings: the portgroup name. */
  readonly deviceName?: string;
  /** URI backings (network serial ports). */
  readonly serviceURI?: string;
  readonly direction?: string;
  /** Disk backings: persistent, independent_persistent, ... */
  readonly diskMode?: string;
  /** Distributed portgroup backings: the portgroup's key. */
  readonly portgroupKey?: string;
}

/** A VM's virtual hardware: its devices, CPUs and memory. */
export interface VmHardware {
  readonly devices: VirtualDeviceInfo[];
  readonly numCPUs: number;
  readonly memoryMB: number;
}

/**
 * The VM's `config.hardware.device`. Device fields are not in our WSDL (they come as anyType), so the
 * numbers arrive as text and are converted here.
 */
export async function readDevices(session: VimSession, vm: MoRef): Promise<VirtualDeviceInfo[]> {
  const { props } = await retrieveOne(session, vm, ['config.hardware.device']);
  return asArray(props['config.hardware.device'] as Record<string, unknown>[] | undefined).map(toDeviceInfo);
}

/** The VM's devices, CPUs and memory in one read. */
export async function readHardware(session: VimSession, vm: MoRef): Promise<VmHardware> {
  const { props } = await retrieveOne(session, vm, ['config.hardware.device', 'config.hardware.numCPU', 'config.hardware.memoryMB']);
  return {
    devices: asArray(props['config.hardware.device'] as Record<string, unknown>[] | undefined).map(toDeviceInfo),
    numCPUs: Number(props['config.hardware.numCPU']),
    memoryMB: Number(props['config.hardware.memoryMB']),
  };
}

function toDeviceInfo(device: Record<string, unknown>): VirtualDeviceInfo {
  const label = (device.deviceInfo as { label?: unknown } | undefined)?.label;
  const backing = device.backing as Record<string, unknown> | undefined;
  return {
    key: Number(device.key),
    type: String(device._type),
    ...(typeof label === 'string' ? { label } : {}),
    ...(device.controllerKey === undefined ? {} : { controllerKey: Number(device.controllerKey) }),
    ...(device.unitNumber === undefined ? {} : { unitNumber: Number(device.unitNumber) }),
    ...(backing === undefined ? {} : { backing: toBackingInfo(backing) }),
    ...(typeof device.macAddress === 'string' ? { macAddress: device.macAddress } : {}),
  };
}

function toBackingInfo(backing: Record<string, unknown>): DeviceBackingInfo {
  const port = backing.port as { portgroupKey?: unknown } | undefined;
  const text = (name: string): Record<string, string> => (typeof backing[name] === 'string' ? { [name]: backing[name] as string } : {});
  return {
    type: String(backing._type),
    ...text('fileName'),
    ...text('deviceName'),
    ...text('serviceURI'),
    ...text('direction'),
    ...text('diskMode'),
    ...(typeof port?.portgroupKey === 'string' ? { portgroupKey: port.portgroupKey } : {}),
  };
}
