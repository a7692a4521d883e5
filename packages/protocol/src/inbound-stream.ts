import { ProtocolError } from './body-codec';
import type { AckBody } from './messages';
import { INITIAL_WINDOW } from './outbound-stream';

/** How long consumed bytes may go unacknowledged while a stream is quiet. */
const IDLE_ACK_MS = 100;

export type SendAck = (channel: number, ack: AckBody) => void;

export interface InboundSink {
  /** New bytes, in order, each exactly once. Call `consumed(n)` when they have been used. */
  data(chunk: Buffer): void;
  /** The sender ended the stream; all bytes before the end have been delivered. */
  end(): void;
}

/**
 * The receiving half of one flow-controlled byte stream. It drops bytes it already has (a
 * sender resending after a reconnect), refuses bytes beyond the granted window, and grants more
 * credit as the consumer reports progress.
 *
 * A stream opened with `joinMidway` belongs to a new incarnation of this end (an endpoint that
 * restarted while the tether kept running): it takes the first offset the sender resends from as
 * its start, since what came before was consumed by its predecessor.
 */
export class InboundStream {
  private receivedOffset = 0;
  private consumedOffset = 0;
  private ackedOffset = 0;
  private finished = false;
  private idleAckTimer: ReturnType<typeof setTimeout> | undefined;
  private endDelivered = false;

  constructor(
    readonly channel: number,
    private readonly sink: InboundSink,
    private readonly sendAck: SendAck,
    private readonly window = INITIAL_WINDOW,
    private joinMidway = false,
  ) {}

  get received(): number {
    return this.receivedOffset;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  onData(offset: number, data: Uint8Array, fin: boolean): void {
    if (this.joinMidway) {
      this.joinMidway = false;
      this.receivedOffset = this.consumedOffset = this.ackedOffset = offset;
    }
    if (offset > this.receivedOffset) {
      throw new ProtocolError(`channel ${this.channel}: data at ${offset} leaves a gap after ${this.receivedOffset}`);
    }
    const fresh = Buffer.from(data.buffer, data.byteOffset, data.byteLength).subarray(this.receivedOffset - offset);
    if (this.receivedOffset + fresh.length > this.consumedOffset + this.window) {
      throw new ProtocolError(`channel ${this.channel}: sender overran its window`);
    }
    if (fresh.length > 0) {
      this.receivedOffset += fresh.length;
      this.sink.data(fresh);
    }
    if (fin && offset + data.length === this.receivedOffset) this.finished = true;
    this.maybeEnd();
  }

  /**
   * The consumer has used `n` more bytes: grant credit once a quarter window is free, and in any
   * case soon after the stream goes quiet, so the sender's buffer (what a successor of this end
   * would be sent again) holds little of what was already consumed.
   */
  consumed(n: number): void {
    this.consumedOffset = Math.min(this.consumedOffset + n, this.receivedOffset);
    this.maybeEnd();
    if (this.consumedOffset - this.ackedOffset >= this.window / 4) this.ack();
    else if (this.consumedOffset > this.ackedOffset) this.idleAckTimer ??= setTimeout(() => this.flushAck(), IDLE_ACK_MS).unref();
  }

  /** Acknowledges what was consumed and not yet acknowledged. */
  flushAck(): void {
    if (this.consumedOffset > this.ackedOffset) this.ack();
  }

  /** Sends the current credit, e.g. after a reconnect. */
  ack(): void {
    clearTimeout(this.idleAckTimer);
    this.idleAckTimer = undefined;
    this.ackedOffset = this.consumedOffset;
    this.sendAck(this.channel, {
      consumed: this.consumedOffset,
      window: this.window,
      finished: this.finished && this.consumedOffset === this.receivedOffset,
    });
  }

  private maybeEnd(): void {
    if (!this.finished || this.endDelivered || this.consumedOffset !== this.receivedOffset) return;
    this.endDelivered = true;
    this.sink.end();
    this.ack();
  }
}
