import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const WRITABLE_DISK_FILE = 'rw.ext4';

/** Size of a container's writable layer; the file is sparse, so it costs only what is written. */
export const WRITABLE_DISK_MIB = 8 * 1024;

/** A fresh, empty ext4 disk for one container's writes, the upper layer of its overlay root. */
export async function createWritableDisk(dir: string, sizeMiB = WRITABLE_DISK_MIB): Promise<string> {
  const path = join(dir, WRITABLE_DISK_FILE);
  await run('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'rw', path, `${sizeMiB}M`], { timeout: 60_000 });
  return path;
}
