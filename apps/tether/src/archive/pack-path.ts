import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Header, Pack } from 'tar-stream';

type EntryType = Header['type'];

function entryType(stats: Stats): EntryType | null {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'character-device';
  if (stats.isBlockDevice()) return 'block-device';
  if (stats.isFIFO()) return 'fifo';
  return null; // sockets: tar has no type for them, and GNU tar skips them too
}

/** Linux's dev_t split (glibc's major()/minor(), for the 32-bit numbers the kernel hands out). */
const devMajor = (rdev: number) => (rdev >> 8) & 0xfff;
const devMinor = (rdev: number) => (rdev & 0xff) | ((rdev >> 12) & 0xfff00);

/**
 * Writes the tar of `path` into `pack`: the path itself as `rebaseAs` (a directory's entries
 * under `rebaseAs/`, or at the top when it is ""), with owners, modes, mtimes, symlinks and hard
 * links. Other file systems mounted below `path` (/proc, /sys, /dev in the container) are not
 * descended into: they are the VM's, not the container's.
 */
export async function packPath(pack: Pack, path: string, rebaseAs: string): Promise<void> {
  const top = await lstat(path);
  const walker = new Walker(pack, top.dev);
  await walker.add(path, rebaseAs, top);
  pack.finalize();
}

class Walker {
  /** "dev:ino" of files with several links -> the entry name the first one was written as. */
  private readonly linked = new Map<string, string>();

  constructor(
    private readonly pack: Pack,
    private readonly device: number,
  ) {}

  async add(path: string, name: string, stats: Stats): Promise<void> {
    const type = entryType(stats);
    if (type === null) return;
    if (name !== '') await this.entry(path, type === 'directory' ? `${name}/` : name, type, stats);
    if (type !== 'directory' || stats.dev !== this.device) return;
    for (const child of (await readdir(path)).sort()) {
      const childPath = join(path, child);
      await this.add(childPath, name === '' ? child : `${name}/${child}`, await lstat(childPath));
    }
  }

  private async entry(path: string, name: string, type: EntryType, stats: Stats): Promise<void> {
    const header: Header = {
      name,
      type,
      size: 0,
      mode: stats.mode & 0o7777,
      mtime: stats.mtime,
      uid: stats.uid,
      gid: stats.gid,
      uname: '',
      gname: '',
      linkname: '',
      devmajor: devMajor(stats.rdev),
      devminor: devMinor(stats.rdev),
    };
    if (type === 'symlink') return this.write({ ...header, linkname: await readlink(path) });
    if (type !== 'file') return this.write(header);
    const key = `${stats.dev}:${stats.ino}`;
    const first = stats.nlink > 1 ? this.linked.get(key) : undefined;
    if (first !== undefined) return this.write({ ...header, type: 'link', linkname: first });
    if (stats.nlink > 1) this.linked.set(key, name);
    return this.writeFile(path, { ...header, size: stats.size });
  }

  private write(header: Header): Promise<void> {
    return new Promise((resolve, reject) => this.pack.entry(header, (err) => (err ? reject(err) : resolve())));
  }

  /** Exactly the size the header announced: a file that grows meanwhile is cut at that size. */
  private writeFile(path: string, header: Header): Promise<void> {
    if (header.size === 0) return new Promise((resolve, reject) => this.pack.entry(header, Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
    return new Promise((resolve, reject) => {
      const source = createReadStream(path, { start: 0, end: header.size - 1 });
      const sink = this.pack.entry(header, (err) => {
        // A destroyed pack (the host gave up) fails the entry; the file is closed with it.
        if (!err) return resolve();
        source.destroy();
        reject(err);
      });
      source.on('error', (err) => {
        sink.destroy(err);
        reject(err);
      });
      source.pipe(sink as unknown as NodeJS.WritableStream);
    });
  }
}
