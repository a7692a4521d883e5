import type { Stats } from '@vic/protocol';

/** USER_HZ: /proc/stat counts in 1/100 s on every Linux architecture the guest runs on. */
export const NS_PER_TICK = 10_000_000;

/**
 * Reads the all-CPU line of /proc/stat ("cpu  user nice system idle iowait irq softirq steal
 * guest guest_nice"). Like Docker, the system total is the first seven fields: guest time is
 * already inside user and nice, and steal is time this VM did not get.
 */
export function parseCpu(procStat: string): Stats['cpu'] {
  const lines = procStat.split('\n');
  const all = lines.find((line) => line.startsWith('cpu '));
  if (all === undefined) throw new Error('/proc/stat has no "cpu" line');
  const ticks = all.trim().split(/\s+/).slice(1).map(Number);
  if (ticks.length < 7 || ticks.some((value) => !Number.isFinite(value))) throw new Error(`/proc/stat: malformed cpu line "${all}"`);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0] = ticks;
  const userNs = (user + nice) * NS_PER_TICK;
  const systemNs = (system + irq + softirq) * NS_PER_TICK;
  return {
    totalUsageNs: userNs + systemNs,
    userNs,
    systemNs,
    systemUsageNs: (user + nice + system + idle + iowait + irq + softirq) * NS_PER_TICK,
    onlineCpus: lines.filter((line) => /^cpu[0-9]+ /.test(line)).length,
  };
}
