import { spawn } from 'node:child_process';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack, type Header, type Pack } from 'tar-stream';
import { fail, ok, type Result } from '../result';
import { layerRelativePath, parentsOf } from './layer-paths';
import { PaxXattrTap, type Xattrs } from './pax-xattrs';
import { restoreXattrs } from './restore-xattrs';

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
const OPAQUE_XATTR: Xattrs = new Map([['trusted.overlay.opaque', Buffer.from('y')]]);
const STDERR_LIMIT = 4096;

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
 * markers the `trusted.overlay.opaque` xattr. Runs as root.
 *
 * Every entry is checked here first, and only checked entries reach GNU tar, which writes them
 * (ownership, modes with setuid, times, hard links, symlinks, devices, fifos) in C and in its
 * own process: per-entry file system calls from Node made unpacking 20× slower. Extended
 * attributes are set afterwards from their raw bytes (see PaxXattrTap). An entry
 * that would land outside `root` — by `..`, or through a symlink this layer made — is refused,
 * naming it, and tar is stopped before it.
 */
export async function unpackLayer(input: Readable, root: string, layerName: string): Promise<Result<UnpackStats, UnpackErrorCode>> {
  const stats: UnpackStats = { entries: 0, contentBytes: 0 };
  const symlinks = new Set<string>();
  const regularFiles = new Set<string>();
  /** Extended attributes to set once tar is done, by path; a later entry for a path replaces an earlier one's. */
  const xattrsByPath = new Map<string, Xattrs>();
  const opaque = new Set<string>();
  const refuse = (entry: string, why: string) => new Refusal('LAYER_ENTRY_OUTSIDE_ROOT', `layer ${layerName}: entry ${JSON.stringify(entry)} ${why}`);

  /** The entry as tar should write it, or null for markers that become xattrs afterwards. */
  const rewrite = (header: Header, xattrs: Xattrs | null): Header | null => {
    const relative = layerRelativePath(header.name);
    if (relative === null) throw refuse(header.name, 'would be written outside the layer root');
    const viaSymlink = parentsOf(relative).find((parent) => symlinks.has(parent));
    if (viaSymlink !== undefined) throw refuse(header.name, `would be written through the symlink ${JSON.stringify(viaSymlink)}, outside the layer root`);
    const base = posix.basename(relative);
    const parent = posix.dirname(relative);
    if (base === OPAQUE_MARKER) {
      opaque.add(parent);
      return null;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const hidden = posix.join(parent, base.slice(WHITEOUT_PREFIX.length));
      xattrsByPath.delete(hidden);
      return { ...header, name: hidden, type: 'character-device', devmajor: 0, devminor: 0, mode: 0, uid: 0, gid: 0, size: 0, linkname: '', pax: null };
    }
    if (!sameXattrs(header, xattrs)) throw new Refusal('LAYER_TAR_INVALID', `layer ${layerName}: entry ${JSON.stringify(header.name)}: its extended attributes could not be read`);
    if (xattrs === null) xattrsByPath.delete(relative);
    else xattrsByPath.set(relative, xattrs);
    if (header.type === 'link') {
      const target = layerRelativePath(header.linkname ?? '');
      if (target === null || !regularFiles.has(target)) throw refuse(header.name, `is a hard link to ${JSON.stringify(header.linkname)}, which is not a file earlier in this layer`);
      regularFiles.add(relative);
      return { ...header, name: relative || '.', linkname: target, pax: null };
    }
    if (header.type === 'symlink') symlinks.add(relative);
    else symlinks.delete(relative);
    if (header.type === 'file' || header.type === 'contiguous-file') {
      regularFiles.add(relative);
      stats.contentBytes += header.size;
    } else if (!['directory', 'symlink', 'character-device', 'block-device', 'fifo'].includes(header.type)) {
      throw new Refusal('LAYER_TAR_INVALID', `layer ${layerName}: entry ${JSON.stringify(header.name)} has unsupported type ${header.type}`);
    }
    return { ...header, name: relative || '.', pax: null };
  };

  const writer = startTar(root);
  const tap = new PaxXattrTap();
  const parser = extract();
  let refusal: Refusal | undefined;
  const skip = (content: { on(event: 'end', listener: () => void): unknown; resume(): unknown }, next: () => void) => {
    content.on('end', next);
    content.resume();
  };
  parser.on('entry', (header, content, next) => {
    stats.entries++;
    const xattrs = tap.nextEntryXattrs();
    if (refusal) return skip(content, () => next());
    let rewritten: Header | null;
    try {
      rewritten = rewrite(header, xattrs);
    } catch (error) {
      // tar is stopped at once, so nothing after a refused entry is written; the rest is only read.
      refusal = error as Refusal;
      writer.abort();
      return skip(content, () => next());
    }
    if (rewritten === null) return skip(content, () => next());
    const sink = writer.packer.entry(rewritten, (error) => next(error));
    content.pipe(sink);
  });
  try {
    await pipeline(input, tap, parser);
    if (refusal) throw refusal;
    writer.packer.finalize();
    await writer.finished;
    for (const dir of opaque) xattrsByPath.set(dir, new Map([...(xattrsByPath.get(dir) ?? []), ...OPAQUE_XATTR]));
    await restoreXattrs(root, xattrsByPath);
  } catch (pipelineError) {
    writer.abort();
    await writer.finished.catch(() => undefined); // tar's own complaint about the cut input says nothing new
    const error = refusal ?? writer.failure() ?? pipelineError;
    if (error instanceof Refusal) return fail(error.code, error.message);
    const { code, message } = error as NodeJS.ErrnoException;
    // An errno (ENOSPC, EIO) is the host failing; anything else (zlib's Z_* codes, the tar parser) is the layer's fault.
    if (code !== undefined && /^E[A-Z]+$/.test(code)) return fail('LAYER_IO', `layer ${layerName}: unpacking into ${root}: ${message}`);
    return fail('LAYER_TAR_INVALID', `layer ${layerName}: invalid tar: ${message}`);
  }
  return ok(stats);
}

/** Whether tar-stream's (UTF-8 decoded) view of an entry's xattrs matches the raw bytes the tap kept for it: a check the two read the same entry. */
function sameXattrs(header: Header, raw: Xattrs | null): boolean {
  const decoded = Object.entries((header.pax ?? {}) as Record<string, string>).filter(([key]) => key.startsWith(XATTR_PAX_PREFIX));
  if (decoded.length !== (raw?.size ?? 0)) return false;
  return decoded.every(([key, value]) => raw?.get(key.slice(XATTR_PAX_PREFIX.length))?.toString('utf8') === value);
}

interface TarWriter {
  packer: Pack;
  /** Settles when tar has exited: resolves on success, rejects with its stderr otherwise. */
  finished: Promise<void>;
  abort(): void;
  /** tar's failure, when it failed on its own (e.g. a full disk). */
  failure(): Error | undefined;
}

/** GNU tar extracting, as root, everything the packer hands it into `root`, exactly as given. */
function startTar(root: string): TarWriter {
  const child = spawn(
    'tar',
    ['--extract', '--file=-', `--directory=${root}`, '--numeric-owner', '--same-owner', '--same-permissions', '--no-unquote'],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const packer = pack();
  let stderr = '';
  let failure: Error | undefined;
  let aborted = false;
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_LIMIT)));
  const finished = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const complaint = stderr.trim() || `exit ${code ?? signal}`;
      // A short write is how GNU tar reports a full file system.
      const full = /No space left on device|Wrote only \d+ of \d+ bytes/.test(stderr);
      const error = full ? Object.assign(new Error(`no space left on device: ${complaint.split('\n')[0]}`), { code: 'ENOSPC' }) : new Error(complaint);
      if (!aborted) failure = error;
      packer.destroy();
      reject(error);
    });
  });
  // Awaited only once the input is read; until then a failure must not count as unhandled.
  finished.catch(() => undefined);
  child.stdin.on('error', () => {}); // a tar that died is reported by its exit status
  (packer as unknown as NodeJS.ReadableStream).pipe(child.stdin);
  return {
    packer,
    finished,
    abort: () => {
      aborted = true;
      packer.destroy();
      child.kill('SIGKILL');
    },
    failure: () => failure,
  };
}
