import { decodeAck, decodeData, encode } from './body-codec';
import { FrameFlags, FrameType, type Frame } from './frame';
import { InboundStream, type InboundSink } from './inbound-stream';
import { StreamIndex } from './messages';
import { OutboundStream } from './outbound-stream';

/** Writes one frame, given as consecutive parts (a Data frame's payload is a part of its own). */
export type Transport = (parts: Buffer[]) => void;

/**
 * The streams of one byte-stream connection, on either end. It survives reconnects: the
 * transport comes and goes, the streams and their offsets stay, and `resume` lines both ends up.
 */
export class StreamMux {
  private readonly outbound = new Map<number, OutboundStream>();
  private readonly inbound = new Map<number, InboundStream>();
  private transport: Transport | null = null;

  get connected(): boolean {
    return this.transport !== null;
  }

  openOutbound(channel: number, highWaterMark?: number): OutboundStream {
    if (this.outbound.has(channel)) throw new Error(`outbound channel ${channel} is already open`);
    const stream = new OutboundStream(channel, highWaterMark);
    this.outbound.set(channel, stream);
    return stream;
  }

  /** `joinMidway`: the sender's stream began before this end existed (see InboundStream). */
  openInbound(channel: number, sink: InboundSink, options: { window?: number; joinMidway?: boolean } = {}): InboundStream {
    if (this.inbound.has(channel)) throw new Error(`inbound channel ${channel} is already open`);
    const stream = new InboundStream(channel, sink, (ch, ack) => this.send(encode.ack(ch, ack)), options.window, options.joinMidway);
    this.inbound.set(channel, stream);
    return stream;
  }

  closeChannel(channel: number): void {
    this.outbound.delete(channel);
    this.inbound.delete(channel);
  }

  /** Forgets the stdin, stdout and stderr channels of the session whose first channel is `first`. */
  closeSessionChannels(first: number): void {
    for (const index of Object.values(StreamIndex)) this.closeChannel(first + index);
  }

  /** Writes to an outbound stream and sends what its window allows; false means wait for 'drain'. */
  write(stream: OutboundStream, ...chunks: Uint8Array[]): boolean {
    let below = true;
    for (const chunk of chunks) below = stream.write(chunk);
    this.pump(stream);
    return below;
  }

  end(stream: OutboundStream): void {
    stream.end();
    this.pump(stream);
  }

  /** Bytes received so far on every inbound stream, for the peer to resume from. */
  receivedOffsets(): Record<number, number> {
    const offsets: Record<number, number> = {};
    for (const [channel, stream] of this.inbound) offsets[channel] = stream.received;
    return offsets;
  }

  /** A transport is up and the handshake is done: resend what the peer lacks, renew credit. */
  resume(transport: Transport, peerReceived: Record<number, number>): void {
    this.transport = transport;
    for (const stream of this.outbound.values()) {
      stream.rewind(peerReceived[stream.channel] ?? 0);
      this.pump(stream);
    }
    for (const stream of this.inbound.values()) stream.ack();
  }

  /** Acknowledges everything consumed so far on every inbound stream, e.g. before handing over to a successor. */
  flushAcks(): void {
    for (const stream of this.inbound.values()) stream.flushAck();
  }

  disconnect(): void {
    this.transport = null;
  }

  send(frame: Buffer | Buffer[]): boolean {
    if (!this.transport) return false;
    this.transport(Array.isArray(frame) ? frame : [frame]);
    return true;
  }

  /** Routes a Data or Ack frame; returns false for frames of other types. */
  handleFrame(frame: Frame): boolean {
    if (frame.type === FrameType.Data) {
      const body = decodeData(frame);
      this.inbound.get(frame.channel)?.onData(body.offset, body.data, (frame.flags & FrameFlags.Fin) !== 0);
      return true;
    }
    if (frame.type === FrameType.Ack) {
      const stream = this.outbound.get(frame.channel);
      if (stream) {
        stream.onAck(decodeAck(frame));
        this.pump(stream);
      }
      return true;
    }
    return false;
  }

  private pump(stream: OutboundStream): void {
    const transport = this.transport;
    if (!transport) return;
    stream.pump((channel, offset, data, fin) => transport(encode.data(channel, { offset, data }, fin)));
  }
}
