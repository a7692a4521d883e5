import type { Stats } from '@vic/protocol';

/** /proc/meminfo as the guest sees it: the whole VM is the container, so MemTotal is its limit. */
export function parseMeminfo(meminfo: string): Stats['memory'] {
  const kib = new Map<string, number>();
  for (const line of meminfo.split('\n')) {
    const match = /^(\w+):\s+(\d+)(?: kB)?$/.exec(line.trim());
    if (match) kib.set(match[1]!, Number(match[2]));
  }
  const field = (name: string): number => {
    const value = kib.get(name);
    if (value === undefined) throw new Error(`/proc/meminfo has no ${name}`);
    return value * 1024;
  };
  const total = field('MemTotal');
  return { usageBytes: total - field('MemAvailable'), limitBytes: total, cacheBytes: field('Cached') };
}
