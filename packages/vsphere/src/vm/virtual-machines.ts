import { destroyEntity } from '../inventory/destroy-entity.js';
import { retrieveOne } from '../property/retrieve-properties.js';
import type { VimSession } from '../session/vim-session.js';
import { toSoapMoRef, type MoRef } from '../soap/moref.js';
import { runTask, type AwaitTaskOptions } from '../tasks/await-task.js';
import { extraConfigMap } from './extra-config.js';
import { vmConfigSpec, type VmConfig } from './vm-config-spec.js';

export type PowerState = 'poweredOn' | 'poweredOff' | 'suspended';

/**
 * Folder.CreateVM_Task in `pool`; or, when `pool` is a vApp, VirtualApp.CreateChildVM_Task (a vApp's
 * VMs must be created through it on vCenter).
 */
export async function createVm(
  session: VimSession,
  placement: { readonly folder: MoRef; readonly pool: MoRef; readonly host?: MoRef },
  config: VmConfig,
  options?: AwaitTaskOptions,
): Promise<MoRef> {
  const host = placement.host === undefined ? {} : { host: toSoapMoRef(placement.host) };
  const spec = vmConfigSpec(config);
  const result =
    placement.pool.type === 'VirtualApp'
      ? await runTask(session, 'CreateChildVM_Task', placement.pool, { config: spec, ...host }, options)
      : await runTask(session, 'CreateVM_Task', placement.folder, { config: spec, pool: toSoapMoRef(placement.pool), ...host }, options);
  return result as MoRef;
}

/** VirtualMachine.ReconfigVM_Task: add/remove devices, change extraConfig, CPUs, memory. */
export async function reconfigureVm(session: VimSession, vm: MoRef, change: VmConfig, options?: AwaitTaskOptions): Promise<void> {
  await runTask(session, 'ReconfigVM_Task', vm, { spec: vmConfigSpec(change) }, options);
}

export async function powerOnVm(session: VimSession, vm: MoRef, options?: AwaitTaskOptions): Promise<void> {
  await runTask(session, 'PowerOnVM_Task', vm, {}, options);
}

export async function powerOffVm(session: VimSession, vm: MoRef, options?: AwaitTaskOptions): Promise<void> {
  await runTask(session, 'PowerOffVM_Task', vm, {}, options);
}

/** Destroys the VM and deletes its files. */
export function destroyVm(session: VimSession, vm: MoRef, options?: AwaitTaskOptions): Promise<void> {
  return destroyEntity(session, vm, options);
}

export interface VmState {
  readonly name: string;
  readonly powerState: PowerState;
  readonly extraConfig: Readonly<Record<string, string>>;
}

export async function readVm(session: VimSession, vm: MoRef): Promise<VmState> {
  const { props } = await retrieveOne(session, vm, ['name', 'runtime.powerState', 'config.extraConfig']);
  return {
    name: String(props.name),
    powerState: props['runtime.powerState'] as PowerState,
    extraConfig: extraConfigMap(props['config.extraConfig']),
  };
}
