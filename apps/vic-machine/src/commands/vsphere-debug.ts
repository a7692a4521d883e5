import { reconfigureVm } from '@vic/vsphere';
import { VicMachineError } from '../errors';
import type { LogLevel } from '../options';
import { isLocalFolderOf } from '../vsphere/local-status';
import type { VchLayout } from '../vch-layout';
import { RECORD_KEYS } from '../vsphere/vch-record';
import type { VsphereTarget } from '../vsphere/vsphere-target';
import { requireVch, withVsphere, type ConnectFlags } from '../vsphere/vsphere-command';
import { debugVch } from './debug';

/** `vic-machine debug` on vSphere: records the level on the endpoint VM, then sets it on the endpoint (debug.ts). */
export async function debugVsphereVch(layout: VchLayout, target: VsphereTarget, flags: ConnectFlags, level: LogLevel): Promise<void> {
  await withVsphere(target, flags, async (connection) => {
    const vch = await requireVch(connection, layout.name);
    if (!isLocalFolderOf(layout, vch.pool)) throw new VicMachineError(`VCH ${layout.name}: its endpoint does not run from ${layout.dir}; run debug on the machine that created it (--state-root)`);
    await reconfigureVm(connection.session, vch.endpointVm, { extraConfig: { [RECORD_KEYS.logLevel]: level } });
  });
  await debugVch(layout, level);
}
