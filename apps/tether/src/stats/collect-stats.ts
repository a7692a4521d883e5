import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stats } from '@vic/protocol';
import { countTasks } from './count-tasks';
import { parseCpu } from './parse-cpu';
import { parseDiskstats } from './parse-diskstats';
import { parseMeminfo } from './parse-meminfo';
import { parseNetDev } from './parse-net-dev';

export interface CollectOptions {
  procRoot?: string;
  /** The tether's own pid, which is not counted as a container task. */
  selfPid?: number;
}

/** One sample of the guest's counters; the VM is the container, so /proc describes exactly it. */
export async function collectStats({ procRoot = '/proc', selfPid = process.pid }: CollectOptions = {}): Promise<Stats> {
  const read = (file: string): Promise<string> => readFile(join(procRoot, file), 'utf8');
  const [stat, meminfo, netDev, diskstats, pids] = await Promise.all([
    read('stat'),
    read('meminfo'),
    read('net/dev'),
    read('diskstats'),
    countTasks(procRoot, selfPid),
  ]);
  return {
    time: Date.now(),
    cpu: parseCpu(stat),
    memory: parseMeminfo(meminfo),
    pids,
    network: parseNetDev(netDev),
    blockIo: parseDiskstats(diskstats),
  };
}
