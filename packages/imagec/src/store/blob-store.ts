import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseDigest } from '../digest';
import { fail, ok, type Result } from '../result';
import { syncDirectory, writeFileAtomic } from './atomic-file';

export type BlobErrorCode = 'BLOB_DIGEST_MISMATCH' | 'BLOB_INVALID_DIGEST' | 'BLOB_IO';

/**
 * Content-addressed blobs as a registry serves them: manifests, configs and compressed layers,
 * kept so an image can be saved or inspected again without the registry. A blob enters only
 * under the digest of its own bytes, so the store never holds content it cannot vouch for.
 */
export class BlobStore {
  private constructor(private readonly root: string) {}

  /** Opens the store under `root`, dropping whatever an interrupted write left in its temp dir. */
  static async open(root: string): Promise<BlobStore> {
    const store = new BlobStore(root);
    await rm(store.tempDir, { recursive: true, force: true });
    await mkdir(store.tempDir, { recursive: true });
    await mkdir(join(root, 'sha256'), { recursive: true });
    return store;
  }

  private get tempDir(): string {
    return join(this.root, 'tmp');
  }

  /** A fresh path for a download in progress, on the same file system as the store (so commit is a rename). */
  tempPath(): string {
    return join(this.tempDir, randomBytes(8).toString('hex'));
  }

  path(digest: string): string {
    const parsed = parseDigest(digest);
    if (!parsed.ok) throw new Error(`invalid blob digest ${JSON.stringify(digest)}: ${parsed.error.message}`);
    return join(this.root, parsed.value.algorithm, parsed.value.encoded);
  }

  async has(digest: string): Promise<boolean> {
    return stat(this.path(digest)).then(
      () => true,
      () => false,
    );
  }

  async size(digest: string): Promise<number | null> {
    return stat(this.path(digest)).then(
      (info) => info.size,
      () => null,
    );
  }

  async read(digest: string): Promise<Result<Buffer, BlobErrorCode>> {
    try {
      return ok(await readFile(this.path(digest)));
    } catch (error) {
      return fail('BLOB_IO', `reading blob ${digest}: ${(error as Error).message}`);
    }
  }

  /** Stores small content (manifests, configs) under its own sha256 digest. */
  async put(content: Uint8Array): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    if (!(await this.has(digest))) await writeFileAtomic(this.path(digest), content);
    return digest;
  }

  /** Moves a finished temp file into the store under `digest`, after checking the file has exactly that digest. */
  async commit(tempPath: string, digest: string): Promise<Result<string, BlobErrorCode>> {
    const parsed = parseDigest(digest);
    if (!parsed.ok) return fail('BLOB_INVALID_DIGEST', `invalid blob digest ${JSON.stringify(digest)}: ${parsed.error.message}`);
    const actual = await hashFile(tempPath, parsed.value.algorithm);
    if (!actual.ok) return actual;
    if (actual.value !== digest) {
      await rm(tempPath, { force: true });
      return fail('BLOB_DIGEST_MISMATCH', `digest mismatch: expected ${digest}, got ${actual.value}`);
    }
    await this.moveIn(tempPath, digest);
    return ok(digest);
  }

  /**
   * Moves in a file whose bytes the caller has already checked against `digest` — a download the
   * registry client hashed as it arrived — so a large layer is not read a second time.
   */
  async commitVerified(tempPath: string, digest: string): Promise<void> {
    await this.moveIn(tempPath, digest);
  }

  /** Moves a temp file of not yet known content (e.g. a layer from an archive) into the store; returns its digest. */
  async adopt(tempPath: string): Promise<Result<string, BlobErrorCode>> {
    const digest = await hashFile(tempPath, 'sha256');
    if (!digest.ok) return digest;
    await this.moveIn(tempPath, digest.value);
    return digest;
  }

  private async moveIn(tempPath: string, digest: string): Promise<void> {
    const target = this.path(digest);
    await mkdir(dirname(target), { recursive: true });
    await rename(tempPath, target);
    await syncDirectory(dirname(target));
  }

  /** Digests of every blob held. */
  async list(): Promise<string[]> {
    return (await readdir(join(this.root, 'sha256'))).map((hex) => `sha256:${hex}`);
  }

  async remove(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }
}

async function hashFile(path: string, algorithm: string): Promise<Result<string, BlobErrorCode>> {
  const hash = createHash(algorithm);
  try {
    await pipeline(createReadStream(path), hash);
  } catch (error) {
    return fail('BLOB_IO', `reading ${path}: ${(error as Error).message}`);
  }
  return ok(`${algorithm}:${hash.digest('hex')}`);
}
