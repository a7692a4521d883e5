import { lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Linux's own limit on symbolic links followed while resolving one path. */
const MAX_SYMLINKS = 40;

/**
 * Where `path` is inside the container root `root`, following symbolic links as the container
 * would see them: an absolute link starts again at `root`, and `..` never climbs above it (as
 * dockerd's FollowSymlinkInScope). Missing components are kept as they are, to be made.
 */
export function resolveInRoot(root: string, path: string): string {
  const pending = path.split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    const stat = lstatSync(candidate, { throwIfNoEntry: false });
    if (!stat?.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new Error(`too many symbolic links resolving ${path} in the container`);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return join(root, ...resolved);
}
