import { retrieveOne } from '../property/retrieve-properties.js';
import type { VimSession } from '../session/vim-session.js';
import { toSoapMoRef, type MoRef } from '../soap/moref.js';
import { vimObject } from '../soap/xsi.js';
import { resourceConfigSpec, type ResourceAllocation, type ResourceConfig, type Shares } from './resource-allocation.js';

/** ResourcePool.CreateResourcePool under `parent` (a pool or a vApp). */
export async function createResourcePool(session: VimSession, parent: MoRef, name: string, config: ResourceConfig = {}): Promise<MoRef> {
  return (await session.call('CreateResourcePool', parent, { name, spec: resourceConfigSpec(config, true) })) as MoRef;
}

/**
 * ResourcePool.CreateVApp. `vmFolder` is where vCenter lists it (required there; omit it on ESXi).
 * vcsim ignores it: its vApps are reachable only through the pool tree.
 */
export async function createVApp(
  session: VimSession,
  parent: MoRef,
  name: string,
  options: { readonly config?: ResourceConfig; readonly vmFolder?: MoRef; readonly annotation?: string } = {},
): Promise<MoRef> {
  return (await session.call('CreateVApp', parent, {
    name,
    resSpec: resourceConfigSpec(options.config ?? {}, true),
    configSpec: vimObject('VAppConfigSpec', options.annotation === undefined ? {} : { annotation: options.annotation }),
    ...(options.vmFolder === undefined ? {} : { vmFolder: toSoapMoRef(options.vmFolder) }),
  })) as MoRef;
}

/** ResourcePool.UpdateConfig: rename and/or change limits, reservations and shares of a pool or vApp. */
export async function updateResourceConfig(
  session: VimSession,
  pool: MoRef,
  change: { readonly name?: string; readonly config?: ResourceConfig },
): Promise<void> {
  await session.call('UpdateConfig', pool, {
    ...(change.name === undefined ? {} : { name: change.name }),
    ...(change.config === undefined ? {} : { config: resourceConfigSpec(change.config, false) }),
  });
}

export interface PoolAllocation {
  readonly cpu: Required<ResourceAllocation>;
  readonly memory: Required<ResourceAllocation>;
}

/** The pool's (or vApp's) current `config` allocation as typed values. */
export async function readResourceConfig(session: VimSession, pool: MoRef): Promise<PoolAllocation> {
  const { props } = await retrieveOne(session, pool, ['config']);
  const config = props.config as { cpuAllocation: unknown; memoryAllocation: unknown };
  return { cpu: toAllocation(config.cpuAllocation), memory: toAllocation(config.memoryAllocation) };
}

function toAllocation(node: unknown): Required<ResourceAllocation> {
  const info = node as { reservation?: unknown; expandableReservation?: unknown; limit?: unknown; shares?: { shares?: unknown; level?: unknown } };
  const level = String(info.shares?.level ?? 'normal');
  const shares: Shares = level === 'custom' ? { level, shares: Number(info.shares?.shares) } : { level: level as 'low' | 'normal' | 'high' };
  return {
    reservation: Number(info.reservation ?? 0),
    expandableReservation: info.expandableReservation === true || info.expandableReservation === 'true',
    limit: Number(info.limit ?? -1),
    shares,
  };
}
