/** The fields of /proc/[pid]/stat the tether reads. */
export interface PidStat {
  pid: number;
  /** One letter: R running, S sleeping, Z zombie, ... */
  state: string;
  ppid: number;
}

/**
 * Parses one /proc/[pid]/stat line. The command name sits in parentheses and may itself hold
 * spaces and parentheses, so the fields after it are found from the last ')'.
 */
export function parsePidStat(text: string): PidStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const [state, ppid] = text.slice(close + 1).trim().split(' ');
  if (!Number.isInteger(pid) || state === undefined || ppid === undefined) return null;
  return { pid, state, ppid: Number(ppid) };
}

/** True for the names of /proc entries that are processes. */
export function isPidEntry(name: string): boolean {
  return /^[0-9]+$/.test(name);
}

/** A process can exit between listing /proc and reading its files; that is not an error. */
export function isVanishedProcess(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}
