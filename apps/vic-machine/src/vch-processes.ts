import { VicMachineError } from './errors';
import { processesUsing, terminate } from './processes';
import type { VchLayout } from './vch-layout';

const GRACE_MS = 5_000;
const KILL_WAIT_MS = 5_000;

/**
 * Ends every process still using the VCH's folder: QEMU VMs the endpoint started (their disks,
 * sockets and console logs live under it) that outlived it, e.g. after a SIGKILL.
 */
export async function killVchProcesses(layout: VchLayout): Promise<number[]> {
  const pids = processesUsing(layout.dir);
  if (pids.length === 0) return [];
  const survivors = await terminate(pids, pids, GRACE_MS, KILL_WAIT_MS);
  if (survivors.length > 0) throw new VicMachineError(`VCH ${layout.name}: processes ${survivors.join(', ')} survived SIGKILL; the VCH folder is kept`);
  return pids;
}
