import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isKernelThread, isPidEntry, isVanishedProcess, parsePidStat, type PidStat } from './parse-pid-stat';

/**
 * Docker's PIDS: the tasks (threads included) of the container's processes. Kernel threads
 * and the tether itself (`exclude`) are not the container's.
 */
export async function countTasks(procRoot: string, exclude: number): Promise<number> {
  const stats = await Promise.all((await readdir(procRoot)).filter(isPidEntry).map((entry) => readPidStat(procRoot, entry)));
  return stats.reduce((sum, stat) => (stat === null || stat.pid === exclude || isKernelThread(stat) ? sum : sum + stat.numThreads), 0);
}

async function readPidStat(procRoot: string, entry: string): Promise<PidStat | null> {
  try {
    return parsePidStat(await readFile(join(procRoot, entry, 'stat'), 'utf8'));
  } catch (err) {
    if (isVanishedProcess(err)) return null;
    throw err;
  }
}
