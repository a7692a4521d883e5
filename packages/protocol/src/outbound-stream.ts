import { EventEmitter } from 'node:events';
import type { AckBody } from './messages';

/** Largest data payload in one frame: small enough to interleave streams fairly. */
export const MAX_DATA_CHUNK = 64 * 1024;
/** Credit a receiver grants before its first ack. */
export const INITIAL_WINDOW = 256 * 1024;

export type SendData = (channel: number, offset: number, data: Buffer, fin: boolean) => void;

/**
 * The sending half of one flow-controlled byte stream. Bytes are kept until the peer
 * acknowledges them, so after a reconnect the stream resumes from what the peer really received.
 * `write` returns false once `highWaterMark` bytes are buffered: the producer must wait for
 * 'drain', which bounds memory whatever the peer does.
 */
export class OutboundStream extends EventEmitter<{ drain: []; flushed: [] }> {
  private chunks: Buffer[] = [];
  /** Stream offset of chunks[0][0]. */
  private bufferStart = 0;
  private bufferedBytes = 0;
  private sentOffset = 0;
  private window = INITIAL_WINDOW;
  private ended = false;
  private finSent = false;
  private finAcked = false;
  private needsDrain = false;

  constructor(
    readonly channel: number,
    private readonly highWaterMark = 4 * INITIAL_WINDOW,
  ) {
    super();
  }

  get writtenOffset(): number {
    return this.bufferStart + this.bufferedBytes;
  }

  /** Everything written, and the end, has been consumed by the peer. */
  get flushed(): boolean {
    return this.ended && this.finAcked && this.bufferedBytes === 0;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  write(chunk: Uint8Array): boolean {
    if (this.ended) throw new Error(`write after end on channel ${this.channel}`);
    if (chunk.length > 0) {
      // Kept, not copied: producers hand over chunks they no longer touch (pipe reads, pty data).
      this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.bufferedBytes += chunk.length;
    }
    const below = this.bufferedBytes < this.highWaterMark;
    if (!below) this.needsDrain = true;
    return below;
  }

  end(): void {
    this.ended = true;
  }

  /** Sends what the window allows. Call after writes, acks and reconnects. */
  pump(send: SendData): void {
    const limit = Math.min(this.writtenOffset, this.bufferStart + this.window);
    while (this.sentOffset < limit) {
      // A frame never spans two written chunks, so sending never copies a byte.
      const data = this.chunkFrom(this.sentOffset, Math.min(MAX_DATA_CHUNK, limit - this.sentOffset));
      const fin = this.ended && this.sentOffset + data.length === this.writtenOffset;
      send(this.channel, this.sentOffset, data, fin);
      this.sentOffset += data.length;
      if (fin) this.finSent = true;
    }
    if (this.ended && !this.finSent && this.sentOffset === this.writtenOffset) {
      send(this.channel, this.sentOffset, Buffer.alloc(0), true);
      this.finSent = true;
    }
  }

  onAck(ack: AckBody): void {
    const consumed = Math.min(ack.consumed, this.writtenOffset);
    this.discardBefore(consumed);
    this.window = ack.window;
    if (this.sentOffset < consumed) this.sentOffset = consumed;
    if (ack.finished && this.ended && consumed === this.writtenOffset) {
      this.finAcked = true;
      this.emit('flushed');
    }
    if (this.needsDrain && this.bufferedBytes < this.highWaterMark) {
      this.needsDrain = false;
      this.emit('drain');
    }
  }

  /**
   * After a reconnect: the peer has `received` bytes; resend from there. A peer that received
   * more than this stream ever held talked to a previous incarnation of this end (an endpoint
   * that restarted): this stream continues after those bytes.
   */
  rewind(received: number): void {
    if (this.writtenOffset === 0 && received > 0) {
      this.bufferStart = this.sentOffset = received;
      return;
    }
    const from = Math.max(this.bufferStart, Math.min(received, this.writtenOffset));
    this.discardBefore(from);
    this.sentOffset = from;
    this.finSent = this.finAcked;
  }

  private discardBefore(offset: number): void {
    while (this.bufferStart < offset && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const drop = Math.min(first.length, offset - this.bufferStart);
      if (drop === first.length) this.chunks.shift();
      else this.chunks[0] = first.subarray(drop);
      this.bufferStart += drop;
      this.bufferedBytes -= drop;
    }
  }

  /** Up to `maxLength` bytes from `offset`, within the one chunk that holds `offset`. */
  private chunkFrom(offset: number, maxLength: number): Buffer {
    let skip = offset - this.bufferStart;
    for (const chunk of this.chunks) {
      if (skip < chunk.length) return chunk.subarray(skip, skip + maxLength);
      skip -= chunk.length;
    }
    throw new RangeError(`offset ${offset} is not buffered on channel ${this.channel}`);
  }
}
