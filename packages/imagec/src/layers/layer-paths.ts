import { posix } from 'node:path';

/**
 * A tar entry's path made relative to the layer root, or null when it would land outside it.
 * A leading `/` means the layer root, as in every image tool; a `..` that climbs above the root
 * is refused rather than clamped, as moby's archive code does ("breakout").
 */
export function layerRelativePath(name: string): string | null {
  const clean = posix.normalize(name.replace(/^\/+/, ''));
  if (clean === '..' || clean.startsWith('../')) return null;
  return clean === '.' || clean === './' ? '' : clean.replace(/\/+$/, '');
}

/** The parent directories of a layer path, outermost first (`a/b/c` → `a`, `a/b`). */
export function parentsOf(relative: string): string[] {
  const parts = relative.split('/');
  return parts.slice(0, -1).map((_, index) => parts.slice(0, index + 1).join('/'));
}
