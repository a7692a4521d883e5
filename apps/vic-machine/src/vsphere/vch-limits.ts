import type { ResourceConfig } from '@vic/vsphere';
import type { VchLimits } from './vsphere-vch';

/** The vApp's allocation for the VCH's limits (-1: unlimited). */
export function limitsResourceConfig(limits: VchLimits): ResourceConfig {
  return { cpu: { limit: limits.cpuMHz ?? -1 }, memory: { limit: limits.memoryMB ?? -1 } };
}

export function describeLimits(limits: VchLimits): string {
  const cpu = limits.cpuMHz === undefined ? 'unlimited' : `${limits.cpuMHz} MHz`;
  const memory = limits.memoryMB === undefined ? 'unlimited' : `${limits.memoryMB} MB`;
  return `CPU ${cpu}, memory ${memory}`;
}
