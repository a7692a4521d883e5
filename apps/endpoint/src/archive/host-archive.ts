import { spawn } from 'node:child_process';
import type { Stats } from 'node:fs';
import { lstat, mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { goFileMode, type PathStat } from '@vic/protocol';
import type { Header } from 'tar-stream';
import { ArchiveError, missingPath } from './archive-error';
import { checkTarInto } from './checked-tar';
import type { ContainerPath } from './container-path';
import { resolveInRoot } from './resolve-in-root';

/** What of GNU tar's complaints is kept for the error: its last lines are the ones that matter. */
const MAX_STDERR_BYTES = 4096;

/** lstat of a resolved path; a path that is not there is reported as the container path users asked for. */
async function lstatExisting(hostPath: string, target: ContainerPath): Promise<Stats> {
  try {
    return await lstat(hostPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'ENOENT' || code === 'ENOTDIR' ? missingPath(target.path) : err;
  }
}

/** lstat, or null when nothing is there (yet). */
async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** Docker's stat of a path in a container root mounted on the host. */
export async function statOnHost(root: string, target: ContainerPath): Promise<PathStat> {
  const hostPath = await resolveInRoot(root, target.path, target.followLast);
  const stats = await lstatExisting(hostPath, target);
  return {
    name: basename(target.path) || '/',
    size: stats.size,
    mode: goFileMode(stats.mode),
    mtime: stats.mtime.toISOString(),
    linkTarget: stats.isSymbolicLink() ? await readlink(hostPath) : '',
  };
}

export interface HostTar {
  tar: Readable;
  /** Settles when GNU tar has exited; rejects with its complaint when it failed. */
  done: Promise<void>;
}

/**
 * The tar of a path under a mounted container root, made by GNU tar with numeric owners and
 * extended attributes (binary values kept byte for byte, e.g. security.capability). Entries
 * are named as `rebaseAs` says: the path's own name, "." for its contents, or "" for the contents
 * without a prefix (what `docker export` gives).
 */
export async function tarOnHost(root: string, target: ContainerPath, rebaseAs: string): Promise<HostTar> {
  const hostPath = await resolveInRoot(root, target.path, target.followLast);
  await lstatExisting(hostPath, target);
  const members =
    rebaseAs === '' ? ['-C', hostPath, '--', ...(await readdir(hostPath)).sort()] : rebaseAs === '.' ? ['-C', hostPath, '.'] : ['-C', dirname(hostPath), '--', basename(hostPath)];
  const child = spawn('tar', ['-c', '-f', '-', '--numeric-owner', '--xattrs', '--xattrs-include=*', ...members], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { tar: child.stdout, done: exited(child, 'tar -c') };
}

export interface ExtractOptions {
  noOverwriteDirNonDir: boolean;
}

/**
 * Extracts a tar into the directory `target` of a mounted container root with GNU tar, keeping
 * owners, modes and extended attributes (as dockerd applies every xattr an entry carries).
 * Every entry is checked before anything is written: GNU tar would follow a symlink already in
 * the container (whose absolute target means the host's file system here), so no entry may pass
 * through one, nor through a symlink the archive itself makes. The tar waits in a temporary file
 * meanwhile, so a refused archive writes nothing at all.
 */
export async function extractOnHost(root: string, target: ContainerPath, tar: Readable, options: ExtractOptions): Promise<void> {
  const dir = await resolveInRoot(root, target.path, true);
  const stats = await lstatExisting(dir, target);
  if (!stats.isDirectory()) throw new ArchiveError({ code: 'ENOTDIR', message: 'extraction point is not a directory' });
  const madeLinks = new Set<string>();
  const work = await mkdtemp(join(tmpdir(), 'vic-cp-'));
  try {
    const file = join(work, 'archive.tar');
    await checkTarInto(tar, file, (header) => checkEntry(dir, header, madeLinks, options));
    const child = spawn('tar', ['-x', '-f', file, '-C', dir, '--numeric-owner', '--same-owner', '--same-permissions', '--xattrs', '--xattrs-include=*'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await exited(child, 'tar -x');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function checkEntry(dir: string, header: Header, madeLinks: Set<string>, options: ExtractOptions): Promise<void> {
  const parts = entryParts(header.name);
  await checkLeadingComponents(dir, parts, madeLinks, header.name);
  if (header.type === 'link') await checkLeadingComponents(dir, [...entryParts(header.linkname), ''], madeLinks, header.linkname);
  if (header.type === 'symlink') madeLinks.add(parts.join('/'));
  if (options.noOverwriteDirNonDir && parts.length > 0) {
    const existing = await lstatOrNull(join(dir, ...parts));
    const incomingIsDir = header.type === 'directory';
    if (existing && existing.isDirectory() !== incomingIsDir) {
      const message = existing.isDirectory() ? `cannot overwrite directory "${header.name}" with non-directory` : `cannot overwrite non-directory "${header.name}" with directory`;
      throw new ArchiveError({ code: 'EEXIST', message });
    }
  }
}

function entryParts(name: string): string[] {
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new ArchiveError({ code: 'EINVAL', message: `invalid archive entry ${JSON.stringify(name)}: it leads outside the extraction point` });
  return parts;
}

/** Every directory on the way to the entry must be a real one. */
async function checkLeadingComponents(dir: string, parts: string[], madeLinks: Set<string>, name: string): Promise<void> {
  for (let i = 1; i < parts.length; i++) {
    const leading = parts.slice(0, i);
    const onDisk = await lstatOrNull(join(dir, ...leading));
    if (madeLinks.has(leading.join('/')) || onDisk?.isSymbolicLink()) {
      throw new ArchiveError({ code: 'EINVAL', message: `archive entry ${JSON.stringify(name)} would be written through the symbolic link ${leading.join('/')}` });
    }
  }
}

function exited(child: ReturnType<typeof spawn>, what: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-MAX_STDERR_BYTES)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${what} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`))));
  });
}
