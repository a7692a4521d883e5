import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDigest } from '../digest';
import type { Descriptor } from '../image/image-types';
import { fail, ok, type Result } from '../result';
import { networkCause, type RegistryErrorCode } from './errors';
import type { HttpResponse } from './transport';

/** Opens the blob at byte `offset` (a `Range` request when > 0); only 200 or 206 answers are ok. */
export type BlobOpener = (offset: number) => Promise<Result<HttpResponse, RegistryErrorCode>>;

export type BlobProgress = (bytesDone: number, total: number) => void;

export interface RetryPolicy {
  /** moby's `maxDownloadAttempts`: a blob is requested at most this many times. */
  maxAttempts: number;
  /** Delay before the second attempt; it doubles each time up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, firstDelayMs: 500, maxDelayMs: 8_000 };

/** Failures worth another attempt: the network, or a registry that said "try again" (5xx, 408, 429). */
const retryableCodes = new Set<RegistryErrorCode>(['REGISTRY_UNREACHABLE', 'REGISTRY_ERROR', 'BLOB_TRUNCATED']);

/** moby's wording when a layer's bytes do not hash to its digest. */
export function verificationFailedMessage(digest: string): string {
  return `filesystem layer verification failed for digest ${digest}`;
}

/**
 * Downloads the blob `descriptor` names into the file at `path` and resolves once the file
 * holds exactly `descriptor.size` bytes that hash to `descriptor.digest`; on failure the file's
 * content is unspecified and the caller removes it.
 *
 * The bytes are hashed as they arrive. After a broken or short transfer the next attempt asks
 * for the rest with `Range: bytes=<received>-` and appends, continuing the same hash; a server
 * that answers the range with the whole blob (200) restarts the file from zero. Should the
 * digest fail after a resumed transfer, one more attempt starts over (the resume may have
 * joined two different versions of the bytes); a digest failure of a whole transfer is final.
 */
export async function downloadBlob(
  openBlob: BlobOpener,
  descriptor: Descriptor,
  path: string,
  onProgress: BlobProgress = () => {},
  retry: RetryPolicy = defaultRetryPolicy,
): Promise<Result<void, RegistryErrorCode>> {
  const digest = parseDigest(descriptor.digest);
  if (!digest.ok) return fail('MANIFEST_INVALID', `invalid digest ${JSON.stringify(descriptor.digest)}: ${digest.error.message}`);
  let file: FileHandle;
  try {
    file = await open(path, 'w', 0o644);
  } catch (error) {
    return fail('IO', `creating ${path}: ${(error as Error).message}`);
  }
  try {
    const download = new Download(file, descriptor, () => createHash(digest.value.algorithm), onProgress);
    return await download.run(openBlob, retry);
  } finally {
    await file.close();
  }
}

class Download {
  private received = 0;
  private hash: Hash;

  constructor(
    private readonly file: FileHandle,
    private readonly descriptor: Descriptor,
    private readonly newHash: () => Hash,
    private readonly onProgress: BlobProgress,
  ) {
    this.hash = newHash();
  }

  async run(openBlob: BlobOpener, retry: RetryPolicy): Promise<Result<void, RegistryErrorCode>> {
    for (let attempt = 1; ; attempt++) {
      const startedAt = this.received;
      const outcome = await this.attempt(openBlob);
      if (outcome.ok || attempt >= retry.maxAttempts) return outcome;
      if (outcome.error.code === 'DIGEST_MISMATCH') {
        if (startedAt === 0) return outcome;
        await this.restart();
      } else if (!retryableCodes.has(outcome.error.code)) {
        return outcome;
      }
      await sleep(Math.min(retry.firstDelayMs * 2 ** (attempt - 1), retry.maxDelayMs));
    }
  }

  private async attempt(openBlob: BlobOpener): Promise<Result<void, RegistryErrorCode>> {
    const opened = await openBlob(this.received);
    if (!opened.ok) return opened;
    const response = opened.value;
    if (this.received > 0 && response.status === 200) await this.restart();
    else if (response.status === 206 && rangeStart(response) !== this.received) {
      response.body.destroy();
      await this.restart();
      return fail('REGISTRY_ERROR', `downloading ${this.descriptor.digest}: the registry answered a different range than asked for`);
    }
    const streamed = await this.consume(response);
    if (!streamed.ok) return streamed;
    if (this.received < this.descriptor.size) return fail('BLOB_TRUNCATED', this.shortBy());
    if (`${this.descriptor.digest.split(':')[0]}:${this.hash.copy().digest('hex')}` !== this.descriptor.digest) {
      return fail('DIGEST_MISMATCH', verificationFailedMessage(this.descriptor.digest));
    }
    return ok(undefined);
  }

  /** Appends the body to the file; the bytes beyond the declared size cannot belong to the blob. */
  private async consume(response: HttpResponse): Promise<Result<void, RegistryErrorCode>> {
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        if (this.received + chunk.length > this.descriptor.size) {
          response.body.destroy();
          return fail('DIGEST_MISMATCH', verificationFailedMessage(this.descriptor.digest));
        }
        const written = await this.write(chunk);
        if (!written.ok) {
          response.body.destroy();
          return written;
        }
        this.hash.update(chunk);
        this.received += chunk.length;
        this.onProgress(this.received, this.descriptor.size);
      }
      return ok(undefined);
    } catch (error) {
      const cause = networkCause(error as NodeJS.ErrnoException, response.url);
      return fail('BLOB_TRUNCATED', `${this.shortBy()} (${cause})`);
    }
  }

  private shortBy(): string {
    return `downloading ${this.descriptor.digest}: unexpected EOF after ${this.received} of ${this.descriptor.size} bytes`;
  }

  private async write(chunk: Buffer): Promise<Result<void, RegistryErrorCode>> {
    try {
      await this.file.write(chunk, 0, chunk.length, this.received);
      return ok(undefined);
    } catch (error) {
      return fail('IO', `writing blob ${this.descriptor.digest}: ${(error as Error).message}`);
    }
  }

  private async restart(): Promise<void> {
    await this.file.truncate(0);
    this.received = 0;
    this.hash = this.newHash();
    this.onProgress(0, this.descriptor.size);
  }
}

/** The first byte of a `Content-Range: bytes <first>-<last>/<total>` answer; NaN when absent or malformed. */
function rangeStart(response: HttpResponse): number {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(response.headers['content-range'] ?? '');
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
}
