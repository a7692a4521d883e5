import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveError } from './archive-error';

/** Linux's own limit on symlinks followed in one lookup. */
const MAX_SYMLINKS = 40;

const components = (path: string) => path.split('/').filter((part) => part !== '' && part !== '.');

/**
 * Where a container path is under a root mounted on the host, following symlinks as the
 * container would see them: an absolute link starts again at `root` and `..` stops at it, so
 * nothing leads outside. The last component is followed only when `followLast`.
 */
export async function resolveInRoot(root: string, path: string, followLast: boolean): Promise<string> {
  const pending = components(path);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const target = pending.length > 0 || followLast ? await linkTarget(join(root, ...resolved, part)) : null;
    if (target === null) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new ArchiveError({ code: 'ELOOP', message: `too many levels of symbolic links in ${path}` });
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...components(target));
  }
  return join(root, ...resolved);
}

/** The target of a symlink; null for anything else, including a path that does not exist (yet). */
async function linkTarget(path: string): Promise<string | null> {
  try {
    return await readlink(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EINVAL' || code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}
