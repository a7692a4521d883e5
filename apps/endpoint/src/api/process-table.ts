import type { ProcessInfo } from '@vic/protocol';

/** `docker top`'s answer: `ps -ef`'s columns and one row of strings per process. */
export interface ProcessTable {
  Titles: string[];
  Processes: string[][];
}

const TITLES = ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number) => String(n).padStart(2, '0');

/** ps's STIME: the time for a process started today, the month and day otherwise (UTC: the guest has no zone). */
function startTime(ms: number, now: Date): string {
  const started = new Date(ms);
  if (started.toISOString().slice(0, 10) === now.toISOString().slice(0, 10)) return `${two(started.getUTCHours())}:${two(started.getUTCMinutes())}`;
  return `${MONTHS[started.getUTCMonth()]}${two(started.getUTCDate())}`;
}

/** ps's TIME: CPU time as [DD-]HH:MM:SS. */
function cpuTime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const days = Math.floor(seconds / 86_400);
  const clock = `${two(Math.floor((seconds % 86_400) / 3600))}:${two(Math.floor((seconds % 3600) / 60))}:${two(seconds % 60)}`;
  return days > 0 ? `${days}-${clock}` : clock;
}

export function processTable(processes: ProcessInfo[], now = new Date()): ProcessTable {
  return {
    Titles: TITLES,
    Processes: processes.map((p) => [p.user, String(p.pid), String(p.ppid), String(p.cpuPercent), startTime(p.startTime, now), p.tty, cpuTime(p.cpuTimeMs), p.command]),
  };
}
