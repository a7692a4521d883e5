import { lstatSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import type { RemoteError } from '@vic/protocol';

/** Docker's PATH for a container whose image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Linux's MAXSYMLINKS: more links than this in one lookup is a loop. */
const MAX_SYMLINKS = 40;

/** The text Go's syscall.Errno prints, which is what Docker users see inside exec errors. */
const GO_ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error',
};

export type FindExecutableResult = { ok: true; value: string } | { ok: false; error: RemoteError };

/** Whose permission bits decide whether a file is executable. */
export interface Identity {
  uid: number;
  gid: number;
}

const ROOT: Identity = { uid: 0, gid: 0 };

/**
 * Resolves `argv0` the way runc does inside the container (Go's exec.LookPath): a name with a
 * slash is taken as a path (relative to `cwd`), a bare name is searched in `envPath`. Returns
 * the path inside `rootDir` to execute, or Docker's error. Symlinks resolve inside `rootDir`.
 */
export function findExecutable(
  rootDir: string,
  argv0: string,
  envPath: string | undefined,
  cwd: string,
  identity: Identity = ROOT,
): FindExecutableResult {
  if (argv0.includes('/')) {
    const path = posix.isAbsolute(argv0) ? argv0 : posix.join(cwd, argv0);
    const problem = executableProblem(rootDir, path, identity);
    if (problem === null) return { ok: true, value: path };
    const text = problem === 'EACCES' || problem === 'EISDIR' ? errnoText(problem) : `stat ${argv0}: ${errnoText(problem)}`;
    return { ok: false, error: { code: problem, message: `exec: "${argv0}": ${text}` } };
  }
  // Go's filepath.SplitList: an empty PATH has no entries, an empty entry means ".".
  const dirs = (envPath ?? DEFAULT_PATH) === '' ? [] : (envPath ?? DEFAULT_PATH).split(':');
  for (const dir of dirs) {
    const path = posix.join(posix.resolve(cwd, dir || '.'), argv0);
    if (executableProblem(rootDir, path, identity) === null) return { ok: true, value: path };
  }
  return { ok: false, error: { code: 'ENOENT', message: `exec: "${argv0}": executable file not found in $PATH` } };
}

/** Why `path` (inside `rootDir`) cannot be executed, as an errno name; null when it can. */
function executableProblem(rootDir: string, path: string, identity: Identity): string | null {
  let stats: Stats;
  try {
    stats = statSync(resolveInRoot(rootDir, path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    return code;
  }
  if (stats.isDirectory()) return 'EISDIR';
  return canExecute(stats, identity) ? null : 'EACCES';
}

/** The kernel's rule: root needs any x bit; others use the owner, group or other bits. */
function canExecute(stats: Stats, { uid, gid }: Identity): boolean {
  if (uid === 0) return (stats.mode & 0o111) !== 0;
  if (stats.uid === uid) return (stats.mode & 0o100) !== 0;
  if (stats.gid === gid) return (stats.mode & 0o010) !== 0;
  return (stats.mode & 0o001) !== 0;
}

function errnoText(code: string): string {
  return GO_ERRNO_TEXT[code] ?? code;
}

/**
 * Maps `path` as the container sees it to the host path under `rootDir`, following symlinks the
 * way the kernel would after chroot: an absolute target starts again at `rootDir`, and ".." never
 * climbs above it. Stops at the first component that does not exist and returns the rest as is,
 * so the caller's stat reports the error.
 */
export function resolveInRoot(rootDir: string, path: string): string {
  const resolved: string[] = [];
  const pending = path.split('/');
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const hostPath = posix.join(rootDir, ...resolved, part);
    const stats = lstatSync(hostPath, { throwIfNoEntry: false });
    if (stats === undefined) return posix.join(hostPath, ...pending);
    if (!stats.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) {
      throw Object.assign(new Error(`${path}: too many levels of symbolic links`), { code: 'ELOOP' });
    }
    const target = readlinkSync(hostPath);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/'));
  }
  return posix.join(rootDir, ...resolved);
}
