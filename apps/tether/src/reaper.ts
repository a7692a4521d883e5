import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPidEntry, isVanishedProcess, parsePidStat } from './stats/parse-pid-stat';
import { native, type NativeSys } from './sys/native';

/** How often to look for zombies when no SIGCHLD arrives (signals coalesce and can be missed). */
const BACKSTOP_INTERVAL_MS = 1000;

export interface ReaperOptions {
  procRoot?: string;
  /** The process whose zombie children are collected: PID 1 in the guest, a subreaper in tests. */
  parentPid?: number;
  sys?: Pick<NativeSys, 'waitpid'>;
}

/**
 * Collects the exit status of orphans the kernel re-parents to the tether, so they do not stay
 * zombies forever. Children the tether spawned itself belong to libuv (child_process) or
 * node-pty, which wait for exactly their pid; collecting those first would lose their exit
 * codes, so the code that spawns them must `own` their pid before it returns to the event loop.
 */
export class Reaper {
  /** How many orphans this reaper has collected. */
  reaped = 0;
  private readonly owned = new Set<number>();
  private readonly procRoot: string;
  private readonly parentPid: number;
  private readonly sys: Pick<NativeSys, 'waitpid'>;
  private timer: NodeJS.Timeout | undefined;
  private readonly onChildSignal = (): void => {
    this.scan();
  };

  constructor(options: ReaperOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.parentPid = options.parentPid ?? process.pid;
    this.sys = options.sys ?? native;
  }

  /** Marks `pid` as waited for by someone else; the reaper leaves it alone. */
  own(pid: number): void {
    this.owned.add(pid);
  }

  /** Forgets `pid` once its owner has collected its exit. */
  disown(pid: number): void {
    this.owned.delete(pid);
  }

  /** Collects every zombie child that nobody owns; returns how many it collected. */
  scan(): number {
    let collected = 0;
    for (const pid of this.unownedZombies()) {
      if (this.collect(pid)) collected += 1;
    }
    this.reaped += collected;
    return collected;
  }

  /**
   * Scans on every SIGCHLD and once a second as a backstop. Node's signal handles do not keep
   * the process alive, and libuv delivers SIGCHLD to child_process as well as to this listener.
   */
  start(): void {
    if (this.timer) return;
    process.on('SIGCHLD', this.onChildSignal);
    this.timer = setInterval(this.onChildSignal, BACKSTOP_INTERVAL_MS);
    this.timer.unref();
    this.scan();
  }

  stop(): void {
    if (!this.timer) return;
    process.off('SIGCHLD', this.onChildSignal);
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private unownedZombies(): number[] {
    const zombies: number[] = [];
    for (const entry of readdirSync(this.procRoot)) {
      if (!isPidEntry(entry)) continue;
      const pid = Number(entry);
      if (this.owned.has(pid)) continue;
      const stat = this.readStat(pid);
      if (stat?.state === 'Z' && stat.ppid === this.parentPid) zombies.push(pid);
    }
    return zombies;
  }

  private readStat(pid: number): ReturnType<typeof parsePidStat> {
    try {
      return parsePidStat(readFileSync(join(this.procRoot, String(pid), 'stat'), 'utf8'));
    } catch (err) {
      if (isVanishedProcess(err)) return null;
      throw err;
    }
  }

  private collect(pid: number): boolean {
    try {
      return this.sys.waitpid(pid) !== null;
    } catch (err) {
      // Gone already: nothing is left to collect.
      if ((err as NodeJS.ErrnoException).code === 'ECHILD') return false;
      throw err;
    }
  }
}
