/** The fields of /proc/[pid]/stat the tether reads. */
export interface PidStat {
  pid: number;
  /** One letter: R running, S sleeping, Z zombie, ... */
  state: string;
  ppid: number;
  numThreads: number;
}

/** Field 20 of proc(5) /proc/[pid]/stat, counted from `state` (field 3). */
const NUM_THREADS_INDEX = 20 - 3;

/** kthreadd: the kernel threads are its children. */
export const KTHREADD_PID = 2;

/**
 * Parses one /proc/[pid]/stat line. The command name sits in parentheses and may itself hold
 * spaces and parentheses, so the fields after it are found from the last ')'.
 */
export function parsePidStat(text: string): PidStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const fields = text.slice(close + 1).trim().split(' ');
  const [state, ppid, numThreads] = [fields[0], Number(fields[1]), Number(fields[NUM_THREADS_INDEX])];
  if (!Number.isInteger(pid) || state === undefined || !Number.isInteger(ppid) || !Number.isInteger(numThreads)) return null;
  return { pid, state, ppid, numThreads };
}

/** True for the names of /proc entries that are processes. */
export function isPidEntry(name: string): boolean {
  return /^[0-9]+$/.test(name);
}

export function isKernelThread(stat: PidStat): boolean {
  return stat.pid === KTHREADD_PID || stat.ppid === KTHREADD_PID;
}

/** A process can exit between listing /proc and reading its files; that is not an error. */
export function isVanishedProcess(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}
