import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the bootstrap ISO keeps what a direct kernel boot needs (iso-build's layout contract). */
export const ISO_KERNEL_PATH = '/boot/vmlinuz';
export const ISO_INITRD_PATH = '/boot/initrd.img';

const EXTRACT_TIMEOUT_MS = 60_000;
/** Each entry is ~100 MB; the least recently used beyond this many are removed. */
export const BOOT_MEDIA_CACHE_ENTRIES = 4;

export interface BootMedia {
  kernel: string;
  initrd: string;
}

export function defaultBootMediaCache(): string {
  return join(tmpdir(), 'vic-boot-media');
}

/** Digests by (path, size, mtime, inode), so a VM start does not re-read a 100 MB ISO. */
const digests = new Map<string, Promise<string>>();

function isoDigest(iso: string): Promise<string> {
  const { size, mtimeMs, ino } = statSync(iso);
  const key = `${iso}\0${size}\0${mtimeMs}\0${ino}`;
  let digest = digests.get(key);
  if (!digest) {
    digest = new Promise<string>((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream(iso)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => resolve(hash.digest('hex')))
        .on('error', reject);
    });
    digests.set(key, digest);
    digest.catch(() => digests.delete(key));
  }
  return digest;
}

/**
 * The kernel and initrd of a bootstrap ISO, extracted once into `cacheDir/<sha256 of the ISO>/`
 * (direct kernel boot skips BIOS and isolinux). Concurrent callers may both extract; each writes
 * a private folder and the first rename wins.
 */
export async function extractBootMedia(iso: string, cacheDir = defaultBootMediaCache()): Promise<BootMedia> {
  if (!existsSync(iso)) throw new Error(`bootstrap ISO ${iso} does not exist`);
  const dir = join(cacheDir, await isoDigest(iso));
  const media = { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
  if (existsSync(media.kernel) && existsSync(media.initrd)) {
    markUsed(dir);
    return media;
  }

  mkdirSync(cacheDir, { recursive: true });
  const partial = mkdtempSync(join(cacheDir, '.partial-'));
  try {
    await run('xorriso', [
      '-osirrox', 'on', '-indev', iso,
      '-extract', ISO_KERNEL_PATH, join(partial, 'vmlinuz'),
      '-extract', ISO_INITRD_PATH, join(partial, 'initrd.img'),
    ], { timeout: EXTRACT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 4 << 20 });
    if (!existsSync(join(partial, 'vmlinuz')) || !existsSync(join(partial, 'initrd.img'))) {
      throw new Error(`bootstrap ISO ${iso} lacks ${ISO_KERNEL_PATH} or ${ISO_INITRD_PATH}`);
    }
    renameIfAbsent(partial, dir);
    markUsed(dir);
    pruneCache(cacheDir, BOOT_MEDIA_CACHE_ENTRIES);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    throw new Error(`extracting the kernel and initrd from ${iso}: ${(err as Error).message}${stderr ? `\n${stderr.slice(-2000)}` : ''}`);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return media;
}

function renameIfAbsent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Another extraction of the same ISO finished first; its copy is identical.
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(to)) return;
    throw err;
  }
}

function markUsed(dir: string): void {
  const now = new Date();
  utimesSync(dir, now, now);
}

/**
 * Removes all but the `keep` most recently used entries. QEMU reads the kernel and initrd when it
 * starts, so removing an entry does not disturb VMs already running from it.
 */
function pruneCache(cacheDir: string, keep: number): void {
  const entries = readdirSync(cacheDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^[0-9a-f]{64}$/.test(e.name))
    .map((e) => ({ path: join(cacheDir, e.name), used: statSync(join(cacheDir, e.name)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const stale of entries.slice(keep)) rmSync(stale.path, { recursive: true, force: true });
}
