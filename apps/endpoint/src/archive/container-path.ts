import { posix } from 'node:path';

/** A path as the archive endpoints take it, made absolute in the container. */
export interface ContainerPath {
  /** Normalized, absolute; `..` cannot climb above "/". */
  path: string;
  /** The name the tar's top entry gets: the base name, or "." for "dir/." (dockerd's rule). */
  rebaseAs: string;
  /** A trailing "/" or "/." asks for what a symlink points to, not the link. */
  followLast: boolean;
}

/** The path as the tether looks it up: a trailing "/" makes the kernel follow a final symlink. */
export function guestLookupPath(target: ContainerPath): string {
  return target.followLast && target.path !== '/' ? `${target.path}/` : target.path;
}

export function containerPath(raw: string): ContainerPath {
  const path = posix.normalize(`/${raw}`).replace(/(.)\/$/, '$1');
  const followLast = raw.endsWith('/') || raw.endsWith('/.');
  const rebaseAs = raw.endsWith('/.') || path === '/' ? '.' : posix.basename(path);
  return { path, rebaseAs, followLast };
}
