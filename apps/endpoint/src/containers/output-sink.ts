import type { Writable } from 'node:stream';

/** Where an attached client gets a container's output. */
export interface OutputSink {
  write(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  end(): void;
}

const STREAM_TYPE = { stdout: 1, stderr: 2 } as const;

/**
 * Docker's multiplexed attach framing (no tty): each chunk behind an 8-byte header, the stream
 * type (1 stdout, 2 stderr), three zero bytes and the length, big-endian.
 */
export function multiplexedSink(target: Writable): OutputSink {
  return {
    write(stream, chunk) {
      if (!target.writable) return; // the client went away; the others still get the output
      const header = Buffer.alloc(8);
      header[0] = STREAM_TYPE[stream];
      header.writeUInt32BE(chunk.length, 4);
      target.write(Buffer.concat([header, chunk]));
    },
    end: () => target.end(),
  };
}

/** With a tty there is one stream and no framing. */
export function rawSink(target: Writable): OutputSink {
  return {
    write: (_stream, chunk) => {
      if (target.writable) target.write(chunk);
    },
    end: () => target.end(),
  };
}
