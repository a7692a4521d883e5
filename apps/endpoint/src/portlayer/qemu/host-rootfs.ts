import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LayerDisk } from '../port-layer';

const run = promisify(execFile);
const MOUNT_TIMEOUT_MS = 30_000;

async function mount(args: string[]): Promise<void> {
  await run('mount', args, { timeout: MOUNT_TIMEOUT_MS });
}

/**
 * Mounts a container's root on this host, as the tether does in the guest (apps/tether
 * container/mount-rootfs.ts): each layer disk read-only, lowest last in `lowerdir`, and the
 * writable disk's `upper` and `work` directories, then runs `use` and unmounts everything,
 * whatever `use` did. Needs root (loop devices and mounts), as the endpoint has.
 */
export async function withHostRootfs<T>(layers: LayerDisk[], writableDisk: string, use: (root: string) => Promise<T>): Promise<T> {
  // Outside the container's directory, so removing the container can never descend into these mounts.
  const base = await mkdtemp(join(tmpdir(), 'vic-rootfs-'));
  const mounted: string[] = [];
  const mountAt = async (name: string, args: string[]): Promise<string> => {
    const dir = join(base, name);
    await mkdir(dir);
    await mount([...args, dir]);
    mounted.push(dir);
    return dir;
  };
  try {
    const lower: string[] = [];
    for (const [index, layer] of layers.entries()) lower.unshift(await mountAt(`layer${index}`, ['-t', layer.fstype, '-o', 'loop,ro', layer.path]));
    if (lower.length === 0) throw new Error('the container has no image layer to mount');
    const writable = await mountAt('rw', ['-t', 'ext4', '-o', 'loop', writableDisk]);
    await mkdir(join(writable, 'upper'), { recursive: true });
    await mkdir(join(writable, 'work'), { recursive: true });
    const root = await mountAt('root', ['-t', 'overlay', '-o', `lowerdir=${lower.join(':')},upperdir=${writable}/upper,workdir=${writable}/work`, 'overlay']);
    return await use(root);
  } finally {
    // Top first; a mount that will not go keeps its directory (and stops the cleanup) rather than being deleted under.
    for (const dir of mounted.reverse()) {
      await run('umount', [dir], { timeout: MOUNT_TIMEOUT_MS });
      await rmdir(dir);
    }
    await rmdir(base);
  }
}
