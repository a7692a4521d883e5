import { lstat, readlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { goFileMode, type PathStat } from '@vic/protocol';
import { RequestError } from '../link/tether-link';

/**
 * Docker's stat of a path in the container (the tether's root is the container's, so the kernel
 * keeps `..` and absolute symlinks inside it). The last component is not followed: a symlink is
 * reported, and copied, as itself.
 */
export async function statPath(path: string): Promise<PathStat> {
  try {
    const stats = await lstat(path);
    return {
      name: basename(path) || '/',
      size: stats.size,
      mode: goFileMode(stats.mode),
      mtime: stats.mtime.toISOString(),
      linkTarget: stats.isSymbolicLink() ? await readlink(path) : '',
    };
  } catch (err) {
    throw asRequestError(err, path);
  }
}

/** File system errors as the host maps them to Docker's answers (ENOENT: "Could not find the file"). */
export function asRequestError(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new RequestError({ code: 'ENOENT', message: `Could not find the file ${path}` });
  if (code === 'EACCES' || code === 'ELOOP' || code === 'EPERM') return new RequestError({ code, message: `${path}: ${(err as Error).message}` });
  return err;
}
