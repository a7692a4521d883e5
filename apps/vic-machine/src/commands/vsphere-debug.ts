import { reconfigureVm } from '@vic/vsphere';
import type { LogLevel } from '../options';
import type { VchLayout } from '../vch-layout';
import { RECORD_KEYS } from '../vsphere/vch-record';
import type { VsphereTarget } from '../vsphere/vsphere-target';
import { requireVch, withVsphere, type ConnectFlags } from '../vsphere/vsphere-command';
import { debugVch } from './debug';

/** `vic-machine debug` on vSphere: records the level on the endpoint VM, then sets it on the endpoint (debug.ts). */
export async function debugVsphereVch(layout: VchLayout, target: VsphereTarget, flags: ConnectFlags, level: LogLevel): Promise<void> {
  await withVsphere(target, flags, async (connection) => {
    const vch = await requireVch(connection, layout.name);
    await reconfigureVm(connection.session, vch.endpointVm, { extraConfig: { [RECORD_KEYS.logLevel]: level } });
  });
  await debugVch(layout, level);
}
