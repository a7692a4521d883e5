import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MKFS_TIMEOUT_MS = 60_000;

/**
 * Formats a volume's disk once, when the volume is made: a sparse ext4 file that costs only what
 * is written, its root directory root's 0755 like a fresh dockerd volume's until the guest copies
 * an image directory (with its owner and mode) into it.
 */
export async function createVolumeDisk(path: string, capacityMiB: number, name: string): Promise<void> {
  await run('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', name.slice(0, 16), '-E', 'root_owner=0:0', path, `${capacityMiB}M`], { timeout: MKFS_TIMEOUT_MS });
}
