import { childrenFilterSpec } from '../property/filter-spec.js';
import { retrieveWithSpec } from '../property/retrieve-properties.js';
import type { VimSession } from '../session/vim-session.js';
import type { MoRef } from '../soap/moref.js';
import type { PowerState } from '../vm/virtual-machines.js';

export interface PoolVm {
  readonly ref: MoRef;
  readonly name: string;
  readonly powerState: PowerState;
}

/** The VMs directly in a resource pool or vApp (its `vm` property), with names and power states, in one call. */
export async function listPoolVms(session: VimSession, pool: MoRef): Promise<PoolVm[]> {
  const contents = await retrieveWithSpec(session, childrenFilterSpec(pool, 'vm', 'VirtualMachine', ['name', 'runtime.powerState']));
  return contents.map(({ obj, props }) => ({ ref: obj, name: String(props.name), powerState: props['runtime.powerState'] as PowerState }));
}
