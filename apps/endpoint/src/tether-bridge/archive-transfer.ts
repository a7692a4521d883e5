import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inboundReadable, outboundWritable } from './stream-adapters';
import type { TetherClient } from './tether-client';

/** A tar can be large and the serial line slow: the whole transfer is bounded, not each byte. */
const ARCHIVE_TIMEOUT_MS = 30 * 60_000;

export interface ArchiveDownload {
  tar: Readable;
  /** Settles when the tether has sent all of the tar (or failed, which cuts `tar` short). */
  done: Promise<void>;
  /** Stops the transfer, e.g. when the client that wanted the tar went away. */
  abort(): void;
}

/** The tar of `path` in a running container, read from its tether on a channel of its own. */
export function downloadArchive(client: TetherClient, path: string, rebaseAs: string): ArchiveDownload {
  const channel = client.reserveChannels();
  const { readable, ended } = inboundReadable(client.mux, channel);
  const replied = client.request({ op: 'archiveOut', path, rebaseAs, channel }, ARCHIVE_TIMEOUT_MS);
  const done = Promise.all([replied, ended]).then(
    () => client.mux.closeChannel(channel),
    (err: unknown) => {
      client.mux.closeChannel(channel);
      readable.destroy(err as Error);
      throw err;
    },
  );
  // Whoever holds `tar` learns of a failure from the stream; `done` is for whoever waits on the end.
  done.catch(() => undefined);
  return {
    tar: readable,
    done,
    abort: () => abortTransfer(client, channel),
  };
}

/** Streams a tar into the directory `path` of a running container; resolves once the tether has extracted all of it. */
export async function uploadArchive(client: TetherClient, path: string, tar: Readable, noOverwriteDirNonDir: boolean): Promise<void> {
  const channel = client.reserveChannels();
  const writable = outboundWritable(client.mux, channel);
  // The request goes first: the tether opens the channel on reading it, before our data frames.
  const extracted = client.request({ op: 'archiveIn', path, channel, noOverwriteDirNonDir }, ARCHIVE_TIMEOUT_MS);
  try {
    // Whichever fails first ends the upload: a refusal by the tether, or a client that stopped sending.
    await Promise.all([pipeline(tar, writable), extracted]);
  } catch (err) {
    writable.destroy();
    abortTransfer(client, channel);
    throw err;
  } finally {
    client.mux.closeChannel(channel);
  }
}

function abortTransfer(client: TetherClient, channel: number): void {
  client.mux.closeChannel(channel);
  // A VM that is gone has no transfer left to stop, so a failed abort needs no handling.
  void client.request({ op: 'abortTransfer', channel }).catch(() => undefined);
}
