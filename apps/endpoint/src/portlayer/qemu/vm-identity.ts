import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@vic/imagec';
import { processStartTime } from './adopted-process';

/** What a restarted endpoint needs to find and trust a container VM that outlived its predecessor. */
export interface VmIdentity {
  /** QEMU's pid and the kernel's start time for it: together they name that one process. */
  pid: number;
  startTime: number;
  /** The channel token on the VM's kernel command line, which its tether asks for. */
  token: string;
}

const IDENTITY_FILE = 'vm.json';

export async function writeVmIdentity(workDir: string, pid: number, token: string): Promise<void> {
  const startTime = processStartTime(pid);
  if (startTime === null) throw new Error(`QEMU (pid ${pid}) exited while it was starting`);
  const identity: VmIdentity = { pid, startTime, token };
  await writeFileAtomic(join(workDir, IDENTITY_FILE), JSON.stringify(identity));
}

/** The identity of the VM recorded in `workDir`, if its QEMU process still runs. */
export function readLiveVmIdentity(workDir: string): VmIdentity | null {
  const path = join(workDir, IDENTITY_FILE);
  if (!existsSync(path)) return null;
  const identity = JSON.parse(readFileSync(path, 'utf8')) as VmIdentity;
  return processStartTime(identity.pid) === identity.startTime ? identity : null;
}
