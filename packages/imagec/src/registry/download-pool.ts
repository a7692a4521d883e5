import { copyFile, link, rm } from 'node:fs/promises';
import { fail, ok, type Result } from '../result';
import type { BlobProgress } from './blob-fetch';
import type { RegistryErrorCode } from './errors';

/** Writes a verified blob to `path`, reporting progress; `downloadBlob` bound to a registry. */
export type BlobDownload = (path: string, onProgress: BlobProgress) => Promise<Result<void, RegistryErrorCode>>;

interface Flight {
  listeners: Set<BlobProgress>;
  followers: Array<{ path: string; resolve: (result: Result<void, RegistryErrorCode>) => void }>;
}

/** dockerd's `max-concurrent-downloads` default. */
export const defaultDownloadConcurrency = 3;

/**
 * Runs blob downloads at most `concurrency` at a time, and once per key: a request for a blob
 * already being downloaded joins that download instead of starting another. Each joiner still
 * gets its own complete file at its own path (a hard link to the finished download, or a copy
 * across file systems), made before any caller is told the download finished, so the first
 * caller may move its file away as soon as it resolves. Joiners receive the shared progress.
 */
export class DownloadPool {
  private readonly flights = new Map<string, Flight>();
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly concurrency: number = defaultDownloadConcurrency) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`download concurrency must be a positive integer, got ${concurrency}`);
    }
  }

  fetch(key: string, path: string, onProgress: BlobProgress, download: BlobDownload): Promise<Result<void, RegistryErrorCode>> {
    const flight = this.flights.get(key);
    if (flight !== undefined) {
      flight.listeners.add(onProgress);
      return new Promise((resolve) => flight.followers.push({ path, resolve }));
    }
    return this.lead(key, path, onProgress, download);
  }

  private async lead(key: string, path: string, onProgress: BlobProgress, download: BlobDownload): Promise<Result<void, RegistryErrorCode>> {
    const flight: Flight = { listeners: new Set([onProgress]), followers: [] };
    this.flights.set(key, flight);
    await this.acquire();
    const result = await download(path, (done, total) => {
      for (const listener of flight.listeners) listener(done, total);
    }).catch((error: unknown) => fail('IO', `downloading ${key}: ${(error as Error).message}`));
    this.release();
    // From here on a new request for the key starts a fresh download.
    this.flights.delete(key);
    await Promise.all(flight.followers.map(async (follower) => follower.resolve(result.ok ? await shareFile(path, follower.path) : result)));
    return result;
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot straight to the next waiter, so `running` never dips and lets a newcomer jump the queue. */
  private release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.running--;
    else next();
  }
}

async function shareFile(from: string, to: string): Promise<Result<void, RegistryErrorCode>> {
  if (from === to) return ok(undefined);
  try {
    await rm(to, { force: true });
    try {
      await link(from, to);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await copyFile(from, to);
    }
    return ok(undefined);
  } catch (error) {
    return fail('IO', `sharing downloaded blob ${from} with ${to}: ${(error as Error).message}`);
  }
}
