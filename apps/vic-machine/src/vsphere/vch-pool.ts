import { createResourcePool, createVApp, type MoRef, type VimSession } from '@vic/vsphere';
import { limitsResourceConfig } from './vch-limits';
import type { VchLimits } from './vsphere-vch';

/**
 * The VCH's own pool, as VIC made it: a vApp on vCenter, a resource pool on a standalone ESXi host
 * (which has no vApps), with the VCH's limits. `vmFolder` is where vCenter lists the vApp.
 */
export function createVchPool(session: VimSession, parent: MoRef, name: string, limits: VchLimits, vmFolder: MoRef): Promise<MoRef> {
  const config = limitsResourceConfig(limits);
  return session.serviceContent.about.apiType === 'VirtualCenter'
    ? createVApp(session, parent, name, { config, vmFolder, annotation: `vic VCH ${name}` })
    : createResourcePool(session, parent, name, config);
}

/** "vApp" or "resource pool", for messages. */
export const poolKind = (pool: MoRef): string => (pool.type === 'VirtualApp' ? 'vApp' : 'resource pool');

/** Whether a child of the compute resource's pool can be a VCH's pool. */
export const isVchPoolType = (type: string): boolean => type === 'VirtualApp' || type === 'ResourcePool';
