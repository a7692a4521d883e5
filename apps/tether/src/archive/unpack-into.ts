import { lstat, lchown, link, lutimes, chmod, mkdir, open, rm, symlink, utimes, stat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Extract, ExtractEvents, Header } from 'tar-stream';
import { RequestError } from '../link/tether-link';
import { asRequestError } from './path-stat';

/** One entry's content, as the extract hands it over. */
type Source = ExtractEvents['entry'][1];

export interface UnpackOptions {
  /** Docker's noOverwriteDirNonDir: never replace a directory with a non-directory or the reverse. */
  noOverwriteDirNonDir: boolean;
}

/**
 * Extracts a tar into the directory `dir`, as dockerd's `PUT /containers/{id}/archive` does:
 * owners, modes, mtimes, symlinks and hard links kept; an entry whose name climbs out of `dir` is
 * refused. The tether's root is the container's, so symlinks cannot lead out of the container.
 * The first failure destroys `entries` and rejects.
 */
export function unpackInto(dir: string, entries: Extract, options: UnpackOptions): Promise<void> {
  const ready = requireDirectory(dir);
  // A directory's mtime changes as entries land in it, so it is set once all of them have.
  const directoryTimes: [string, Date][] = [];
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => {
      entries.destroy(err as Error);
      reject(err);
    };
    // Listening from the start: an entry parsed before a listener exists would be lost.
    entries.on('entry', (header, stream, next) => {
      ready
        .then(() => unpackEntry(dir, header, stream, options))
        .then((target) => {
          if (target !== null && header.type === 'directory') directoryTimes.push([target, header.mtime]);
          next();
        }, fail);
    });
    entries.on('finish', () => {
      ready
        .then(async () => {
          for (const [path, mtime] of directoryTimes.reverse()) await utimes(path, mtime, mtime);
        })
        .then(resolve, fail);
    });
    entries.on('error', reject);
  });
}

/** Writes one entry; returns where it went, or null for the archive's top, which is `dir` itself. */
async function unpackEntry(dir: string, header: Header, content: Source, options: UnpackOptions): Promise<string | null> {
  const target = targetOf(dir, header.name);
  if (target === null) {
    await drain(content);
    return null;
  }
  await replaceExisting(target, header, options);
  await create(dir, target, header, content);
  await applyMetadata(target, header);
  return target;
}

async function requireDirectory(dir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (err) {
    throw asRequestError(err, dir);
  }
  if (!isDirectory) throw new RequestError({ code: 'ENOTDIR', message: 'extraction point is not a directory' });
}

/** The entry's place under `dir`, or null for the archive's own top ("." or "/"), which is `dir` itself. */
function targetOf(dir: string, name: string): string | null {
  const relative = posix.normalize(`/${name}`).slice(1).replace(/\/$/, '');
  if (relative === '') return null;
  if (name.split('/').includes('..')) throw new RequestError({ code: 'EINVAL', message: `invalid archive entry ${JSON.stringify(name)}: it leads outside ${dir}` });
  return join(dir, relative);
}

async function replaceExisting(target: string, header: Header, { noOverwriteDirNonDir }: UnpackOptions): Promise<void> {
  const existing = await lstat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!existing) return;
  const incomingIsDir = header.type === 'directory';
  if (existing.isDirectory() && incomingIsDir) return;
  if (noOverwriteDirNonDir && existing.isDirectory() !== incomingIsDir) {
    const message = existing.isDirectory() ? `cannot overwrite directory "${target}" with non-directory "${header.name}"` : `cannot overwrite non-directory "${target}" with directory "${header.name}"`;
    throw new RequestError({ code: 'EEXIST', message });
  }
  await rm(target, { recursive: true, force: true });
}

async function create(dir: string, target: string, header: Header, entry: Source): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  switch (header.type) {
    case 'directory':
      await mkdir(target, { recursive: true });
      return drain(entry);
    case 'file':
    case 'contiguous-file':
      return writeFile(target, entry);
    case 'symlink':
      await symlink(header.linkname, target);
      return drain(entry);
    case 'link': {
      const source = targetOf(dir, header.linkname);
      if (source === null) throw new RequestError({ code: 'EINVAL', message: `invalid hard link ${JSON.stringify(header.name)} to the extraction point` });
      await link(source, target);
      return drain(entry);
    }
    default:
      // Device nodes and FIFOs need mknod, which the tether does not have.
      throw new RequestError({ code: 'ENOTSUP', message: `cannot create ${header.type} ${header.name} in a running container` });
  }
}

async function writeFile(target: string, entry: Source): Promise<void> {
  const file = await open(target, 'wx', 0o600);
  try {
    for await (const chunk of entry) await file.write(chunk as Buffer);
  } finally {
    await file.close();
  }
}

async function applyMetadata(target: string, header: Header): Promise<void> {
  await lchown(target, header.uid, header.gid);
  if (header.type === 'symlink') return lutimes(target, header.mtime, header.mtime);
  // After chown, which clears set-id bits.
  await chmod(target, header.mode & 0o7777);
  if (header.type !== 'directory') await utimes(target, header.mtime, header.mtime);
}

async function drain(entry: Source): Promise<void> {
  for await (const _chunk of entry);
}
