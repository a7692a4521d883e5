import { FRAME_MAGIC, HEADER_BYTES, MAX_BODY_BYTES, parseHeader, type Frame } from './frame';

/**
 * Turns a byte stream into frames. Bytes that cannot start a valid header are skipped one at a
 * time until the next magic (resync), and counted in `skippedBytes`. The decoder never holds more
 * than one header plus one maximum body, whatever it is fed.
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  skippedBytes = 0;

  constructor(private readonly maxBody = MAX_BODY_BYTES) {}

  /** Bytes held while waiting for the rest of a frame; never above one header plus `maxBody`. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  /** Feeds bytes; returns every frame completed by them. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (input.length > 0) {
      const room = HEADER_BYTES + this.maxBody - this.pending.length;
      const take = Math.min(room, input.length);
      this.pending = this.pending.length === 0 ? Buffer.from(input.subarray(0, take)) : Buffer.concat([this.pending, input.subarray(0, take)]);
      input = input.subarray(take);
      this.drain(frames);
    }
    return frames;
  }

  /** Forgets partial input, e.g. when the byte stream was reconnected. */
  reset(): void {
    this.pending = Buffer.alloc(0);
  }

  private drain(frames: Frame[]): void {
    let pos = 0;
    const buf = this.pending;
    while (buf.length - pos >= HEADER_BYTES) {
      const header = parseHeader(buf, pos, this.maxBody);
      if (!header) {
        const next = this.findMagic(buf, pos + 1);
        this.skippedBytes += next - pos;
        pos = next;
        continue;
      }
      const end = pos + HEADER_BYTES + header.length;
      if (end > buf.length) break;
      frames.push({ ...header, body: buf.subarray(pos + HEADER_BYTES, end) });
      pos = end;
    }
    if (buf.length - pos < HEADER_BYTES && pos < buf.length) {
      // A tail shorter than a header: keep it only from a byte that could start the magic.
      const next = this.findMagic(buf, pos);
      this.skippedBytes += next - pos;
      pos = next;
    }
    this.pending = pos === 0 ? buf : Buffer.from(buf.subarray(pos));
  }

  private findMagic(buf: Buffer, from: number): number {
    const first = FRAME_MAGIC >> 8;
    for (let i = from; i < buf.length; i++) {
      if (buf[i] !== first) continue;
      if (i + 1 === buf.length || buf[i + 1] === (FRAME_MAGIC & 0xff)) return i;
    }
    return buf.length;
  }
}
