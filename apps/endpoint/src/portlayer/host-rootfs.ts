import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveInRoot } from '../archive/resolve-in-root';
import type { LayerDisk, VmMount } from './port-layer';

const run = promisify(execFile);
const MOUNT_TIMEOUT_MS = 30_000;

async function mount(args: string[]): Promise<void> {
  await run('mount', args, { timeout: MOUNT_TIMEOUT_MS });
}

const UNMOUNT_ATTEMPTS = 10;
const UNMOUNT_RETRY_MS = 200;

/**
 * Unmounts `dir`. A mount can stay busy for a moment after what used it (a tar child, the
 * overlay above it) has gone, so a refusal is retried; one that lasts is detached lazily (the
 * kernel finishes once nothing uses it), so a mount is never left behind.
 */
async function unmount(dir: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run('umount', [dir], { timeout: MOUNT_TIMEOUT_MS });
      return;
    } catch (error) {
      if (attempt >= UNMOUNT_ATTEMPTS) {
        await run('umount', ['--lazy', dir], { timeout: MOUNT_TIMEOUT_MS });
        console.error(`endpoint: ${dir} stayed busy (${(error as Error).message.trim()}); detached it lazily`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, UNMOUNT_RETRY_MS));
    }
  }
}

/**
 * Mounts a container's root on this host, as the tether does in the guest (apps/tether
 * container/mount-rootfs.ts): each layer disk read-only, lowest last in `lowerdir`, and the
 * writable disk's `upper` and `work` directories, then the container's volumes and host
 * directories at their targets (as the tether mounts them: symbolic links followed inside the
 * root, read-only where asked), then runs `use` and unmounts everything, whatever `use` did.
 * Needs root (loop devices and mounts), as the endpoint has.
 */
export async function withHostRootfs<T>(layers: LayerDisk[], writableDisk: string, use: (root: string) => Promise<T>, mounts: VmMount[] = []): Promise<T> {
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
  const mountedInside: string[] = [];
  try {
    const lower: string[] = [];
    for (const [index, layer] of layers.entries()) lower.unshift(await mountAt(`layer${index}`, ['-t', layer.fstype, '-o', 'loop,ro', layer.path]));
    if (lower.length === 0) throw new Error('the container has no image layer to mount');
    const writable = await mountAt('rw', ['-t', 'ext4', '-o', 'loop', writableDisk]);
    await mkdir(join(writable, 'upper'), { recursive: true });
    await mkdir(join(writable, 'work'), { recursive: true });
    const root = await mountAt('root', ['-t', 'overlay', '-o', `lowerdir=${lower.join(':')},upperdir=${writable}/upper,workdir=${writable}/work`, 'overlay']);
    for (const volume of mounts) {
      const target = await resolveInRoot(root, volume.target, true);
      await mkdir(target, { recursive: true });
      if (volume.kind === 'disk') await mount(['-t', 'ext4', '-o', volume.readOnly ? 'loop,ro' : 'loop', volume.path, target]);
      else await mount(['--bind', volume.source, target]);
      mountedInside.push(target);
      if (volume.kind === 'hostDirectory' && volume.readOnly) await mount(['-o', 'remount,bind,ro', target]);
    }
    return await use(root);
  } finally {
    // Top first: each mount holds up the ones below it. A step that fails does not stop the ones after it.
    const failures: Error[] = [];
    for (const target of mountedInside.reverse()) await unmount(target).catch((error: Error) => failures.push(error));
    for (const dir of mounted.reverse()) {
      await unmount(dir)
        .then(() => rmdir(dir))
        .catch((error: Error) => failures.push(error));
    }
    if (failures.length > 0) throw new AggregateError(failures, `cleaning up the container root in ${base}: ${failures.map((error) => error.message).join('; ')}`);
    await rmdir(base);
  }
}
