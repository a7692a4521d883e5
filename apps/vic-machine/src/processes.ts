import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 100;

/** A process's arguments, or null once it is gone (a zombie's cmdline is empty, so it counts as gone too). */
export function commandLine(pid: number): string[] | null {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH') return null;
    throw error;
  }
  return raw === '' ? null : raw.replace(/\0$/, '').split('\0');
}

/** Processes (other than this one) with an argument inside `dir`: the endpoint and the QEMU VMs of a VCH. */
export function processesUsing(dir: string): number[] {
  const prefix = `${dir}/`;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => pid !== process.pid && (commandLine(pid)?.some((arg) => arg.startsWith(prefix) || arg.includes(`=${prefix}`) || arg.includes(`,${prefix}`)) ?? false));
}

function signal(target: number, name: NodeJS.Signals): void {
  try {
    process.kill(target, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Waits until every pid is gone; the ones still there after `timeoutMs`. */
async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter((pid) => commandLine(pid) !== null);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(POLL_MS);
    alive = alive.filter((pid) => commandLine(pid) !== null);
  }
  return alive;
}

/**
 * SIGTERM to each target (a pid, or a process group as a negative number), `graceMs` for the
 * `watched` pids to exit, then SIGKILL to the targets. Returns the pids that survived even that.
 */
export async function terminate(targets: number[], watched: number[], graceMs: number, killWaitMs: number): Promise<number[]> {
  for (const target of targets) signal(target, 'SIGTERM');
  const stubborn = await waitGone(watched, graceMs);
  if (stubborn.length === 0) return [];
  for (const target of targets) signal(target, 'SIGKILL');
  return waitGone(stubborn, killWaitMs);
}
