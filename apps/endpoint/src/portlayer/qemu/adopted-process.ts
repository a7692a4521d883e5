import { readFileSync } from 'node:fs';
import { QEMU_STDERR_TAIL_BYTES, type ProcessExit, type VmProcess } from './qemu-process';
import { readTail } from './read-tail';

/** How often a process this endpoint did not spawn is checked for its exit. */
const EXIT_POLL_MS = 500;

/**
 * The kernel's start time of a process (clock ticks since boot, /proc/<pid>/stat field 22), or
 * null when it does not exist or has exited (a zombie). A pid together with its start time names
 * one process for good, where a bare pid may be reused.
 */
export function processStartTime(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // no such process
  }
  // The command name (field 2) may hold spaces and parentheses; fields after it follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' ? null : Number(fields[19]);
}

/**
 * A QEMU process a previous endpoint spawned and this one took over. It is not our child, so its
 * exit is seen by polling its pid and start time; it has no exit code to report.
 */
export class AdoptedProcess implements VmProcess {
  readonly exited: Promise<ProcessExit>;
  private gone = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    private readonly startTime: number,
    private readonly stderrFile: string,
  ) {
    let resolveExit!: (exit: ProcessExit) => void;
    this.exited = new Promise((resolve) => (resolveExit = resolve));
    this.timer = setInterval(() => {
      if (this.alive()) return;
      clearInterval(this.timer);
      this.gone = true;
      resolveExit({ code: null, signal: null });
    }, EXIT_POLL_MS);
  }

  get running(): boolean {
    return !this.gone && this.alive();
  }

  get stderrTail(): string {
    return readTail(this.stderrFile, QEMU_STDERR_TAIL_BYTES).trim();
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  release(): void {
    clearInterval(this.timer);
  }

  private alive(): boolean {
    return processStartTime(this.pid) === this.startTime;
  }
}
