import type { InboundStream, OutboundStream, StreamMux } from '@vic/protocol';
import type { Readable, Writable } from 'node:stream';

/**
 * Copies a child's output pipe into an outbound stream, pausing the pipe while credit is short.
 * Reads that land in the same event-loop turn are handed over together and sent in one pass;
 * they are never copied, as every copy of container output costs real guest CPU under emulation.
 */
export function pumpOutput(mux: StreamMux, from: Readable, to: OutboundStream): Promise<void> {
  let pending: Buffer[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const chunks = pending;
    pending = [];
    if (!mux.write(to, ...chunks)) from.pause();
  };
  to.on('drain', () => from.resume());
  from.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  return new Promise((resolve) => {
    const done = () => {
      flush();
      resolve();
    };
    from.once('close', done);
    from.once('error', done);
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
