import { chmod, chown, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';
import { fail, ok, type Result } from '../result';
import { runHostCommand } from './host-commands';
import { layerRelativePath, parentsOf } from './layer-paths';

export type UnpackErrorCode = 'LAYER_ENTRY_OUTSIDE_ROOT' | 'LAYER_TAR_INVALID' | 'LAYER_IO';

export interface UnpackStats {
  entries: number;
  /** Bytes of file content written. */
  contentBytes: number;
}

/** OCI whiteouts: `.wh.<name>` deletes `<name>` from lower layers; this marker hides a whole directory's lower content. */
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const XATTR_PAX_PREFIX = 'SCHILY.xattr.';

interface PendingDirectory {
  path: string;
  header: Header;
}

class Refusal extends Error {
  constructor(
    readonly code: UnpackErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Unpacks one uncompressed layer tar into the empty directory `root`, in overlayfs's own format
 * so the guest can stack it as a lower layer: whiteouts become 0/0 character devices, opaque
 * markers the `trusted.overlay.opaque` xattr. Ownership, modes (setuid included), times, hard
 * links, symlinks, device nodes, fifos and xattrs are kept. Runs as root. Any entry that would
 * land outside `root` — by `..`, or through a symlink this layer made — is refused, naming it.
 */
export async function unpackLayer(tar: Readable, root: string, layerName: string): Promise<Result<UnpackStats, UnpackErrorCode>> {
  const stats: UnpackStats = { entries: 0, contentBytes: 0 };
  const symlinks = new Set<string>();
  const regularFiles = new Set<string>();
  const directories: PendingDirectory[] = [];
  const opaque = new Set<string>();

  const refuse = (entry: string, why: string) => new Refusal('LAYER_ENTRY_OUTSIDE_ROOT', `layer ${layerName}: entry ${JSON.stringify(entry)} ${why}`);
  const resolveInside = (name: string): string => {
    const relative = layerRelativePath(name);
    if (relative === null) throw refuse(name, 'would be written outside the layer root');
    const viaSymlink = parentsOf(relative).find((parent) => symlinks.has(parent));
    if (viaSymlink !== undefined) throw refuse(name, `would be written through the symlink ${JSON.stringify(viaSymlink)}, outside the layer root`);
    return relative;
  };

  const unpackEntry = async (header: Header, content: AsyncIterable<Buffer>): Promise<void> => {
    stats.entries++;
    const relative = resolveInside(header.name);
    const base = posix.basename(relative);
    const parent = posix.dirname(relative);
    await mkdir(join(root, parent), { recursive: true });
    if (base === OPAQUE_MARKER) {
      opaque.add(parent === '.' ? '' : parent);
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const hidden = join(root, parent, base.slice(WHITEOUT_PREFIX.length));
      await rm(hidden, { recursive: true, force: true });
      await runHostCommand('mknod', ['-m', '000', hidden, 'c', '0', '0']);
      return;
    }
    const path = join(root, relative);
    if (header.type !== 'directory') await removeUnlessDirectory(path);
    switch (header.type) {
      case 'directory':
        await mkdir(path, { recursive: true });
        directories.push({ path, header });
        break;
      case 'file':
      case 'contiguous-file':
        await writeContent(path, content);
        stats.contentBytes += header.size ?? 0;
        regularFiles.add(relative);
        await applyOwnerAndMode(path, header);
        break;
      case 'symlink':
        await symlink(header.linkname ?? '', path);
        symlinks.add(relative);
        await lchown(path, header.uid ?? 0, header.gid ?? 0);
        break;
      case 'link': {
        const target = layerRelativePath(header.linkname ?? '');
        if (target === null || !regularFiles.has(target)) throw refuse(header.name, `is a hard link to ${JSON.stringify(header.linkname)}, which is not a file earlier in this layer`);
        await link(join(root, target), path);
        regularFiles.add(relative);
        break;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        const kind = header.type === 'fifo' ? ['p'] : [header.type === 'character-device' ? 'c' : 'b', String(header.devmajor ?? 0), String(header.devminor ?? 0)];
        await runHostCommand('mknod', ['-m', (header.mode ?? 0o644).toString(8), path, ...kind]);
        await applyOwnerAndMode(path, header);
        break;
      }
      default:
        // Tar extension records (GNU long names, PAX headers) are folded into the entries by the parser.
        throw new Refusal('LAYER_TAR_INVALID', `layer ${layerName}: entry ${JSON.stringify(header.name)} has unsupported type ${header.type}`);
    }
    await applyXattrs(path, header);
    if (header.type !== 'directory' && header.type !== 'link') await setTimes(path, header);
  };

  const parser = extract();
  // The pipeline reports a destroyed parser as "Premature close"; the entry's own error is the one to tell.
  let entryError: Error | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  parser.on('entry', (header, content, next) => {
    // streamx readables (what tar-stream hands out) are async-iterable, though its types do not say so.
    inFlight = unpackEntry(header, content as unknown as AsyncIterable<Buffer>).then(
      () => {
        content.resume(); // entries without content still have to be drained
        next();
      },
      (error: Error) => {
        entryError ??= error;
        next(error);
      },
    );
  });
  try {
    await pipeline(tar, parser);
    for (const dir of opaque) await runHostCommand('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(root, dir)]);
    // Deepest first, after their contents: a read-only directory must not stop its own unpacking.
    for (const dir of directories.reverse()) {
      await applyOwnerAndMode(dir.path, dir.header);
      await setTimes(dir.path, dir.header);
    }
  } catch (pipelineError) {
    await inFlight; // settles without throwing; it records its failure in entryError
    const error = entryError ?? pipelineError;
    if (error instanceof Refusal) return fail(error.code, error.message);
    const { code, message } = error as NodeJS.ErrnoException;
    // An errno (ENOSPC, EIO) is the host failing; anything else (zlib's Z_* codes, the tar parser) is the layer's fault.
    if (code !== undefined && /^E[A-Z]+$/.test(code)) return fail('LAYER_IO', `layer ${layerName}: unpacking into ${root}: ${message}`);
    return fail('LAYER_TAR_INVALID', `layer ${layerName}: invalid tar: ${message}`);
  }
  return ok(stats);
}

async function writeContent(path: string, content: AsyncIterable<Buffer>): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    for await (const chunk of content) await file.write(chunk);
  } finally {
    await file.close();
  }
}

async function removeUnlessDirectory(path: string): Promise<void> {
  const existing = await lstat(path).catch(() => null);
  if (existing !== null) await rm(path, { recursive: true, force: true });
}

/** chown first: it clears setuid/setgid bits, which chmod then sets. */
async function applyOwnerAndMode(path: string, header: Header): Promise<void> {
  await chown(path, header.uid ?? 0, header.gid ?? 0);
  await chmod(path, (header.mode ?? 0o644) & 0o7777);
}

async function setTimes(path: string, header: Header): Promise<void> {
  const mtime = header.mtime ?? new Date(0);
  if (header.type === 'symlink') await lutimes(path, mtime, mtime);
  else await utimes(path, mtime, mtime);
}

async function applyXattrs(path: string, header: Header): Promise<void> {
  for (const [key, value] of Object.entries((header.pax ?? {}) as Record<string, string>)) {
    if (!key.startsWith(XATTR_PAX_PREFIX)) continue;
    const name = key.slice(XATTR_PAX_PREFIX.length);
    const flags = header.type === 'symlink' ? ['-h'] : [];
    await runHostCommand('setfattr', [...flags, '-n', name, '-v', `0s${Buffer.from(value, 'utf8').toString('base64')}`, path]);
  }
}
