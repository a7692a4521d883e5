import { runHostCommand } from './host-commands';

/** The file system of every layer disk; packages/imagec/README.md records the measurements behind it. */
export const LAYER_FSTYPE = 'erofs';

const MKFS_TIMEOUT_MS = 10 * 60_000;

/**
 * Builds the read-only disk of one layer from its unpacked tree: an uncompressed erofs image,
 * which the guest kernel mounts directly (no decompression on a single emulated vCPU) and which
 * keeps ownership, modes, mtimes, xattrs, hard links and device nodes.
 */
export async function buildLayerDisk(tree: string, diskPath: string): Promise<void> {
  await runHostCommand('mkfs.erofs', ['--quiet', '--preserve-mtime', diskPath, tree], { timeoutMs: MKFS_TIMEOUT_MS });
}
