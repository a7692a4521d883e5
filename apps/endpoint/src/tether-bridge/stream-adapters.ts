import { Readable, Writable } from 'node:stream';
import type { InboundSink, InboundStream, StreamMux } from '@vic/protocol';

/** An inbound stream exposed as a Readable; credit is granted only as the reader keeps up. */
function readableSink(): { readable: Readable; ended: Promise<void>; bind(stream: InboundStream): InboundSink } {
  let stream: InboundStream | null = null;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  let unacknowledged = 0;
  const readable = new Readable({
    highWaterMark: 256 * 1024,
    read() {
      if (unacknowledged > 0 && stream) {
        stream.consumed(unacknowledged);
        unacknowledged = 0;
      }
    },
  });
  return {
    readable,
    ended,
    bind(bound) {
      stream = bound;
      return {
        data(chunk) {
          if (readable.push(chunk)) bound.consumed(chunk.length);
          else unacknowledged += chunk.length;
        },
        end() {
          readable.push(null);
          markEnded();
        },
      };
    },
  };
}

/** An inbound channel as a Readable that ends with the stream. */
export function inboundReadable(mux: StreamMux, channel: number, joinMidway = false): { readable: Readable; ended: Promise<void> } {
  const sink = readableSink();
  let bound: InboundSink | null = null;
  const stream = mux.openInbound(channel, { data: (chunk) => bound!.data(chunk), end: () => bound!.end() }, { joinMidway });
  bound = sink.bind(stream);
  return { readable: sink.readable, ended: sink.ended };
}

/** An outbound channel as a Writable: writes wait for credit, and ending it ends the stream. */
export function outboundWritable(mux: StreamMux, channel: number): Writable {
  const stream = mux.openOutbound(channel);
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (mux.write(stream, chunk)) callback();
      else stream.once('drain', () => callback());
    },
    final(callback) {
      mux.end(stream);
      callback();
    },
  });
}
