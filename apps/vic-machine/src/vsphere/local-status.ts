import type { MoRef } from '@vic/vsphere';
import { readVchConfig, vchExists } from '../vch-config';
import { vchLayout, type VchLayout } from '../vch-layout';
import { describeStatus, vchStatus } from '../vch-status';

/**
 * Whether the local folder of that name is this vSphere VCH's (its endpoint's state, certificates
 * and log), and not a local VCH's or another vSphere's VCH's that shares the name.
 */
export function isLocalFolderOf(layout: VchLayout, pool: MoRef): boolean {
  if (!vchExists(layout)) return false;
  const { vsphere } = readVchConfig(layout);
  return vsphere !== undefined && vsphere.pool.type === pool.type && vsphere.pool.value === pool.value;
}

/** The state of a vSphere VCH's endpoint process on this machine (where vic-machine runs it). */
export async function localEndpointStatus(stateRoot: string, name: string, pool: MoRef): Promise<{ short: string; long: string }> {
  const layout = vchLayout(stateRoot, name);
  if (!isLocalFolderOf(layout, pool)) return { short: 'no endpoint here', long: `no endpoint on this machine (no ${layout.dir} for it)` };
  const status = await vchStatus(layout, readVchConfig(layout));
  return { short: status.state, long: describeStatus(status) };
}
