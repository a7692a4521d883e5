import { once } from 'node:events';
import type { ArchiveInRequest, ArchiveOutRequest, InboundStream, StreamMux } from '@vic/protocol';
import { extract, pack } from 'tar-stream';
import { RequestError } from '../link/tether-link';
import { packPath } from './pack-path';
import { asRequestError, statPath } from './path-stat';
import { unpackInto } from './unpack-into';

/** How long the host may leave a finished tar unacknowledged before the transfer is given up. */
const FLUSH_TIMEOUT_MS = 60_000;

/**
 * Tar streams between the container's file system and the host, each on a stream channel of its
 * own with the protocol's credit, so a large copy neither floods the serial line nor memory.
 */
export class ArchiveTransfers {
  /** Channel -> how to stop that transfer. */
  private readonly active = new Map<number, (reason: Error) => void>();

  constructor(private readonly mux: StreamMux) {}

  /** Streams the tar of a path to the host; resolves once the host has every byte of it. */
  async send(request: ArchiveOutRequest): Promise<null> {
    await statPath(request.path); // a missing path is refused before any byte is sent
    const stream = this.mux.openOutbound(request.channel);
    const tar = pack();
    this.active.set(request.channel, (reason) => tar.destroy(reason));
    // A failure while packing destroys the tar, which ends the loop below; its cause is what the host hears.
    let packError: unknown = null;
    const packed = packPath(tar, request.path, request.rebaseAs).catch((err: unknown) => {
      packError = err;
      tar.destroy(err as Error);
    });
    try {
      try {
        for await (const chunk of tar) {
          if (!this.mux.write(stream, chunk as Buffer)) await once(stream, 'drain');
        }
      } finally {
        await packed;
      }
      if (packError) throw packError;
      this.mux.end(stream);
      if (!stream.flushed) await flushed(stream, FLUSH_TIMEOUT_MS);
      return null;
    } catch (err) {
      throw asRequestError(packError ?? err, request.path);
    } finally {
      this.active.delete(request.channel);
      this.mux.closeChannel(request.channel);
    }
  }

  /**
   * Extracts the tar the host streams after this request. The channel is opened before anything
   * is awaited: the host's data frames follow the request on the same line and would otherwise
   * find no stream to land in.
   */
  receive(request: ArchiveInRequest): Promise<null> {
    const tar = extract();
    let stream: InboundStream | null = null;
    let owed = 0;
    tar.on('drain', () => {
      stream?.consumed(owed);
      owed = 0;
    });
    stream = this.mux.openInbound(request.channel, {
      // Credit goes back only as fast as extraction takes the bytes.
      data: (chunk) => {
        if (tar.write(chunk)) stream!.consumed(chunk.length);
        else owed += chunk.length;
      },
      end: () => tar.end(undefined),
    });
    this.active.set(request.channel, (reason) => tar.destroy(reason));
    return unpackInto(request.path, tar, { noOverwriteDirNonDir: request.noOverwriteDirNonDir })
      .then(
        () => null,
        (err: unknown) => {
          tar.destroy(err as Error);
          throw asRequestError(err, request.path);
        },
      )
      .finally(() => {
        this.active.delete(request.channel);
        this.mux.closeChannel(request.channel);
      });
  }

  /** The host gave up on a transfer (its client went away). */
  abort(channel: number): null {
    this.active.get(channel)?.(new RequestError({ code: 'ECANCELED', message: `transfer on channel ${channel} was aborted by the host` }));
    return null;
  }
}

function flushed(stream: { once(event: 'flushed', listener: () => void): unknown }, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new RequestError({ code: 'ETIMEDOUT', message: `the host did not take the end of the archive within ${timeoutMs} ms` })), timeoutMs);
    stream.once('flushed', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
