import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveInRoot } from '../../archive/resolve-in-root';
import type { LayerDisk, VmMount } from '../port-layer';

const run = promisify(execFile);
const MOUNT_TIMEOUT_MS = 30_000;

async function mount(args: string[]): Promise<void> {
  await run('mount', args, { timeout: MOUNT_TIMEOUT_MS });
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
    for (const target of mountedInside.reverse()) await run('umount', [target], { timeout: MOUNT_TIMEOUT_MS });
    // Top first; a mount that will not go keeps its directory (and stops the cleanup) rather than being deleted under.
    for (const dir of mounted.reverse()) {
      await run('umount', [dir], { timeout: MOUNT_TIMEOUT_MS });
      await rmdir(dir);
    }
    await rmdir(base);
  }
}
