import type { InboundStream, OutboundStream, StreamMux } from '@vic/protocol';
import type { Readable, Writable } from 'node:stream';

/** Copies a child's output pipe into an outbound stream, pausing the pipe while credit is short. */
export function pumpOutput(mux: StreamMux, from: Readable, to: OutboundStream): Promise<void> {
  to.on('drain', () => from.resume());
  from.on('data', (chunk: Buffer) => {
    if (!mux.write(to, chunk)) from.pause();
  });
  return new Promise((resolve) => {
    from.once('close', resolve);
    from.once('error', () => resolve());
  });
}

/**
 * Feeds an inbound stream into a child's stdin. Bytes count as consumed once the pipe took them,
 * so a process that does not read applies backpressure all the way to the host. If the process
 * closed its stdin, further bytes are dropped (as a pipe with no reader would).
 */
export function feedInput(stdin: Writable, getStream: () => InboundStream) {
  let broken = false;
  stdin.on('error', () => (broken = true));
  return {
    data(chunk: Buffer): void {
      if (broken || stdin.destroyed) {
        getStream().consumed(chunk.length);
        return;
      }
      stdin.write(chunk, () => getStream().consumed(chunk.length));
    },
    end(): void {
      if (!stdin.destroyed) stdin.end();
    },
  };
}
