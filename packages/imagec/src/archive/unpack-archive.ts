import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';
import { fail, ok, type Result } from '../result';

export type ArchiveErrorCode = 'ARCHIVE_INVALID' | 'ARCHIVE_IO';

/** The regular files of an image archive: archive path (normalised, no leading `./`) → file on disk. */
export type ArchiveFiles = Map<string, string>;

const MAX_LINK_DEPTH = 8;

function normalise(name: string): string | null {
  const clean = posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (clean === '..' || clean.startsWith('../')) return null;
  return clean === '.' ? '' : clean;
}

/**
 * Unpacks an image archive (`docker save` output or an OCI layout tar) into `dir`. Only regular
 * files and symlinks between them matter (legacy `docker save` links duplicate layers); any
 * name or link pointing outside the archive is refused, so a crafted archive cannot write
 * elsewhere on the host.
 */
export async function unpackArchive(input: Readable, dir: string): Promise<Result<ArchiveFiles, ArchiveErrorCode>> {
  const files: ArchiveFiles = new Map();
  const links = new Map<string, string>();
  let refusal: string | null = null;
  const extractor = extract();
  extractor.on('entry', (header: Header, stream, next) => {
    const name = normalise(header.name);
    if (name === null) {
      refusal = `invalid archive: entry ${JSON.stringify(header.name)} points outside the archive`;
      stream.resume();
      return next();
    }
    if (header.type === 'symlink' && header.linkname) {
      const target = normalise(posix.join(posix.dirname(name), header.linkname));
      if (target === null) refusal = `invalid archive: link ${JSON.stringify(header.name)} points outside the archive`;
      else links.set(name, target);
    }
    if (header.type !== 'file' || refusal !== null) {
      stream.resume();
      return next();
    }
    const path = join(dir, 'files', String(files.size));
    files.set(name, path);
    mkdir(dirname(path), { recursive: true })
      .then(() => pipeline(stream, createWriteStream(path)))
      .then(() => next(), next);
  });
  try {
    await pipeline(input, extractor);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    // An errno means the host failed us (e.g. disk full), not that the archive is bad.
    if (code !== undefined) return fail('ARCHIVE_IO', `unpacking the archive into ${dir}: ${message}`);
    return fail('ARCHIVE_INVALID', `invalid archive: ${message}`);
  }
  if (refusal !== null) return fail('ARCHIVE_INVALID', refusal);
  for (const [name, target] of links) {
    const resolved = resolveLink(target, links, files);
    if (resolved !== undefined) files.set(name, resolved);
  }
  return ok(files);
}

function resolveLink(target: string, links: Map<string, string>, files: ArchiveFiles): string | undefined {
  let current = target;
  for (let depth = 0; depth < MAX_LINK_DEPTH; depth++) {
    const file = files.get(current);
    if (file !== undefined) return file;
    const next = links.get(current);
    if (next === undefined) return undefined;
    current = next;
  }
  return undefined;
}
