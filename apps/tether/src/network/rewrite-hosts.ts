import { writeFileSync } from 'node:fs';
import type { ContainerConfig } from '@vic/protocol';
import { renderHosts } from '../container/host-files';

/**
 * Writes the container's /etc/hosts again with new extra lines (the tether is inside the
 * container's root by now) and returns the config that describes it.
 */
export function rewriteHosts(config: ContainerConfig, extraHosts: string[]): ContainerConfig {
  const updated = { ...config, extraHosts };
  writeFileSync('/etc/hosts', renderHosts(updated));
  return updated;
}
