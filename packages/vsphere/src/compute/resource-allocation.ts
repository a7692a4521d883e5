import { vimObject } from '../soap/xsi.js';

/** Shares as vSphere defines them: a level, or `custom` with an explicit number. */
export type Shares = { readonly level: 'low' | 'normal' | 'high' } | { readonly level: 'custom'; readonly shares: number };

/** CPU (MHz) or memory (MB) allocation of a pool, vApp or VM. Omitted fields take vSphere's defaults. */
export interface ResourceAllocation {
  readonly reservation?: number;
  readonly expandableReservation?: boolean;
  /** -1 is unlimited. */
  readonly limit?: number;
  readonly shares?: Shares;
}

export interface ResourceConfig {
  readonly cpu?: ResourceAllocation;
  readonly memory?: ResourceAllocation;
}

/** A new pool's allocation when the caller says nothing: no reservation, expandable, unlimited, normal shares. */
const DEFAULT_ALLOCATION = { reservation: 0, expandableReservation: true, limit: -1, shares: { level: 'normal' } } as const;

/** ResourceAllocationInfo in schema order (reservation, expandableReservation, limit, shares). */
export function allocationInfo(allocation: ResourceAllocation | undefined, defaults: boolean): object {
  const value = defaults ? { ...DEFAULT_ALLOCATION, ...allocation } : (allocation ?? {});
  return vimObject('ResourceAllocationInfo', {
    ...(value.reservation === undefined ? {} : { reservation: value.reservation }),
    ...(value.expandableReservation === undefined ? {} : { expandableReservation: value.expandableReservation }),
    ...(value.limit === undefined ? {} : { limit: value.limit }),
    ...(value.shares === undefined ? {} : { shares: sharesInfo(value.shares) }),
  });
}

function sharesInfo(shares: Shares): object {
  // `shares` is ignored by vSphere unless the level is custom, but the schema requires it.
  return vimObject('SharesInfo', { shares: shares.level === 'custom' ? shares.shares : 0, level: shares.level });
}

/**
 * ResourceConfigSpec (cpuAllocation then memoryAllocation). For creation every field gets a default, as
 * vSphere requires; for an update only the given fields are sent.
 */
export function resourceConfigSpec(config: ResourceConfig, defaults: boolean): object {
  return vimObject('ResourceConfigSpec', {
    cpuAllocation: allocationInfo(config.cpu, defaults),
    memoryAllocation: allocationInfo(config.memory, defaults),
  });
}
