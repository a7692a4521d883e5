import { vimObject } from '../soap/xsi.js';
import { extraConfigOptions } from './extra-config.js';

/** What a VirtualMachineConfigSpec for create or reconfigure may carry; fields are sent only when set. */
export interface VmConfig {
  readonly name?: string;
  /** e.g. "otherGuest64"; vSphere picks the virtual hardware defaults from it. */
  readonly guestId?: string;
  readonly annotation?: string;
  /** Where the VM's files go: a datastore path, "[datastore1]" or "[datastore1] dir". */
  readonly vmPathName?: string;
  readonly numCPUs?: number;
  readonly memoryMB?: number;
  /** VirtualDeviceConfigSpec objects from vm/devices. */
  readonly deviceChange?: readonly object[];
  /** ExtraConfig keys, guestinfo.* included. */
  readonly extraConfig?: Readonly<Record<string, string>>;
}

/** VirtualMachineConfigSpec, fields in the schema's order. */
export function vmConfigSpec(config: VmConfig): object {
  return vimObject('VirtualMachineConfigSpec', {
    ...(config.name === undefined ? {} : { name: config.name }),
    ...(config.guestId === undefined ? {} : { guestId: config.guestId }),
    ...(config.annotation === undefined ? {} : { annotation: config.annotation }),
    ...(config.vmPathName === undefined ? {} : { files: vimObject('VirtualMachineFileInfo', { vmPathName: config.vmPathName }) }),
    ...(config.numCPUs === undefined ? {} : { numCPUs: config.numCPUs }),
    ...(config.memoryMB === undefined ? {} : { memoryMB: config.memoryMB }),
    ...(config.deviceChange === undefined ? {} : { deviceChange: [...config.deviceChange] }),
    ...(config.extraConfig === undefined ? {} : { extraConfig: extraConfigOptions(config.extraConfig) }),
  });
}
