import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessInfo } from '@vic/protocol';
import { isKernelThread, isPidEntry, isVanishedProcess, parsePidStat, type PidStat } from '../stats/parse-pid-stat';
import { readUserNames } from './user-names';

/** USER_HZ: /proc counts CPU and start times in these ticks; it is 100 on every Linux/x86. */
const CLOCK_TICKS_PER_SECOND = 100;
/** The kernel's major numbers of Unix98 ptys (136-143) and virtual consoles (4). */
const PTS_MAJOR_FIRST = 136;
const PTS_MAJOR_LAST = 143;
const TTY_MAJOR = 4;

export interface ListOptions {
  procRoot?: string;
  /** The tether itself, which is the VM's machinery, not the container's. */
  selfPid?: number;
}

/** `ps -ef` of the container: every process in the VM but the tether and the kernel's threads. */
export async function listProcesses({ procRoot = '/proc', selfPid = process.pid }: ListOptions = {}): Promise<ProcessInfo[]> {
  const [entries, procStat, uptime, users] = await Promise.all([
    readdir(procRoot),
    readFile(join(procRoot, 'stat'), 'utf8'),
    readFile(join(procRoot, 'uptime'), 'utf8'),
    readUserNames(),
  ]);
  const bootTimeMs = Number(/^btime (\d+)$/m.exec(procStat)?.[1]) * 1000;
  const uptimeTicks = Number(uptime.split(' ')[0]) * CLOCK_TICKS_PER_SECOND;
  const found = await Promise.all(entries.filter(isPidEntry).map((entry) => readProcess(join(procRoot, entry))));
  return found
    .filter((p): p is ProcessRead => p !== null && p.stat.pid !== selfPid && !isKernelThread(p.stat))
    .sort((a, b) => a.stat.pid - b.stat.pid)
    .map(({ stat: s, uid, cmdline }) => {
      const cpuTicks = s.utime + s.stime;
      const lifeTicks = uptimeTicks - s.startTime;
      return {
        pid: s.pid,
        ppid: s.ppid,
        user: users.get(uid) ?? String(uid),
        startTime: bootTimeMs + (s.startTime * 1000) / CLOCK_TICKS_PER_SECOND,
        cpuTimeMs: (cpuTicks * 1000) / CLOCK_TICKS_PER_SECOND,
        cpuPercent: lifeTicks > 0 ? Math.floor((cpuTicks * 100) / lifeTicks) : 0,
        tty: ttyName(s.ttyNr),
        command: cmdline,
      };
    });
}

interface ProcessRead {
  stat: PidStat;
  uid: number;
  cmdline: string;
}

async function readProcess(dir: string): Promise<ProcessRead | null> {
  try {
    const [statText, cmdline, owner] = await Promise.all([readFile(join(dir, 'stat'), 'utf8'), readFile(join(dir, 'cmdline')), stat(dir)]);
    const parsed = parsePidStat(statText);
    if (!parsed) return null;
    const args = cmdline.toString('utf8').split('\0').filter((arg, i, all) => arg !== '' || i < all.length - 1);
    // A process without arguments (a zombie, say) is shown by its name in brackets, as ps does.
    const command = args.length > 0 ? args.join(' ') : `[${/\((.*)\)/s.exec(statText)?.[1] ?? '?'}]`;
    // The /proc/[pid] directory belongs to the process's effective uid: ps -ef's UID.
    return { stat: parsed, uid: owner.uid, cmdline: command };
  } catch (err) {
    if (isVanishedProcess(err)) return null;
    throw err;
  }
}

/** The name ps gives a tty_nr (major in bits 8-15, minor in bits 0-7 and 20-31). */
function ttyName(ttyNr: number): string {
  if (ttyNr === 0) return '?';
  const major = (ttyNr >> 8) & 0xff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= PTS_MAJOR_FIRST && major <= PTS_MAJOR_LAST) return `pts/${(major - PTS_MAJOR_FIRST) * 256 + minor}`;
  if (major === TTY_MAJOR) return `tty${minor}`;
  return '?';
}
