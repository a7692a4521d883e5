/** The fields of /proc/[pid]/stat the tether reads. */
export interface PidStat {
  pid: number;
  /** One letter: R running, S sleeping, Z zombie, ... */
  state: string;
  ppid: number;
  numThreads: number;
  /** The controlling terminal's device number, 0 for none. */
  ttyNr: number;
  /** CPU time in clock ticks, in user and in kernel mode. */
  utime: number;
  stime: number;
  /** Clock ticks after boot at which the process started. */
  startTime: number;
}

/** Fields of proc(5) /proc/[pid]/stat, counted from `state` (field 3). */
const TTY_NR_INDEX = 7 - 3;
const UTIME_INDEX = 14 - 3;
const STIME_INDEX = 15 - 3;
const NUM_THREADS_INDEX = 20 - 3;
const STARTTIME_INDEX = 22 - 3;

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
  const state = fields[0];
  const [ppid, numThreads, ttyNr, utime, stime, startTime] = [1, NUM_THREADS_INDEX, TTY_NR_INDEX, UTIME_INDEX, STIME_INDEX, STARTTIME_INDEX].map((i) => Number(fields[i]));
  const numbers = [pid, ppid, numThreads, ttyNr, utime, stime, startTime];
  if (state === undefined || !numbers.every(Number.isInteger)) return null;
  return { pid, state, ppid: ppid!, numThreads: numThreads!, ttyNr: ttyNr!, utime: utime!, stime: stime!, startTime: startTime! };
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
