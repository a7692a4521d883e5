import { spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type LayerCompression = 'none' | 'gzip' | 'zstd';

/** Reports how far through the blob file the reader is: `(bytesRead, blobSize)`. */
export type LayerProgress = (done: number, total: number) => void;

export interface LayerSource {
  /** The uncompressed tar. */
  tar: Readable;
  /** Digest of the uncompressed bytes, once `tar` has ended. */
  diffId(): string;
  /** Stops the readers and any decompressor process. */
  close(): void;
}

/**
 * Opens a layer blob as its uncompressed tar, hashing what comes out (the diffID the image config
 * names). gzip is decompressed in-process; zstd by the `zstd` tool, since Node 20's zlib has none.
 */
export async function openLayerSource(blobPath: string, compression: LayerCompression, onProgress: LayerProgress): Promise<LayerSource> {
  const { size } = await stat(blobPath);
  const file = createReadStream(blobPath, { highWaterMark: 1024 * 1024 });
  let read = 0;
  file.on('data', (chunk: string | Buffer) => {
    read += chunk.length;
    onProgress(read, size);
  });
  const hash = createHash('sha256');
  const hashing = hashingStream(hash);
  const closers: Array<() => void> = [() => file.destroy()];
  if (compression === 'gzip') {
    file.pipe(createGunzip()).on('error', (error) => hashing.destroy(error)).pipe(hashing);
  } else if (compression === 'zstd') {
    const zstd = spawn('zstd', ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    zstd.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    zstd.on('exit', (code) => {
      if (code !== 0) hashing.destroy(new Error(`zstd: ${stderr.trim() || `exit ${code}`}`));
    });
    zstd.on('error', (error) => hashing.destroy(error));
    file.pipe(zstd.stdin).on('error', () => {}); // zstd exiting early is reported by its exit code
    zstd.stdout.pipe(hashing);
    closers.push(() => zstd.kill('SIGKILL'));
  } else {
    file.pipe(hashing);
  }
  file.on('error', (error) => hashing.destroy(error));
  return {
    tar: hashing,
    diffId: () => `sha256:${hash.digest('hex')}`,
    close: () => closers.forEach((close) => close()),
  };
}

function hashingStream(hash: Hash): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

