import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, INITIAL_WINDOW, StreamMux, type InboundSink } from '../src/index';

/** Two muxes joined by an in-memory link whose delivery the test controls. */
function link() {
  const sender = new StreamMux();
  const receiver = new StreamMux();
  const toReceiver: Buffer[] = [];
  const toSender: Buffer[] = [];
  const decoders = { receiver: new FrameDecoder(), sender: new FrameDecoder() };
  const connect = () => {
    decoders.receiver.reset();
    decoders.sender.reset();
    sender.resume((parts) => toReceiver.push(Buffer.concat(parts)), receiver.receivedOffsets());
    receiver.resume((parts) => toSender.push(Buffer.concat(parts)), {});
  };
  /** Delivers queued bytes both ways until quiet; `lose` drops everything in flight instead. */
  const deliver = (lose = false) => {
    while (toReceiver.length || toSender.length) {
      const a = toReceiver.splice(0);
      const b = toSender.splice(0);
      if (lose) continue;
      for (const bytes of a) for (const f of decoders.receiver.push(bytes)) receiver.handleFrame(f);
      for (const bytes of b) for (const f of decoders.sender.push(bytes)) sender.handleFrame(f);
    }
  };
  return { sender, receiver, connect, deliver, inFlight: () => toReceiver.reduce((n, b) => n + b.length, 0) };
}

function collectingSink(consume: (n: number) => void) {
  const chunks: Buffer[] = [];
  let ended = false;
  const sink: InboundSink = {
    data: (c) => {
      chunks.push(c);
      consume(c.length);
    },
    end: () => (ended = true),
  };
  return { sink, chunks, ended: () => ended };
}

describe('StreamMux', () => {
  it('never lets a sender put more than the window in flight', () => {
    const { sender, receiver, connect, inFlight } = link();
    receiver.openInbound(4, { data: () => {}, end: () => {} }); // never consumes
    const out = sender.openOutbound(4);
    connect();
    sender.write(out, randomBytes(5 * INITIAL_WINDOW));
    expect(inFlight()).toBeLessThan(INITIAL_WINDOW + 1024);
  });

  it('write returns false past the high-water mark and drains once the peer consumes', () => {
    const { sender, receiver, connect, deliver } = link();
    let inbound!: ReturnType<StreamMux['openInbound']>;
    const sink = collectingSink((n) => inbound.consumed(n));
    inbound = receiver.openInbound(4, sink.sink);
    const out = sender.openOutbound(4, 100_000);
    connect();
    let drained = false;
    out.on('drain', () => (drained = true));
    expect(sender.write(out, randomBytes(150_000))).toBe(false);
    deliver();
    expect(drained).toBe(true);
  });

  it('delivers every byte exactly once across reconnects that lose data in flight', () => {
    const { sender, receiver, connect, deliver } = link();
    let inbound!: ReturnType<StreamMux['openInbound']>;
    const sink = collectingSink((n) => inbound.consumed(n));
    inbound = receiver.openInbound(8, sink.sink);
    const out = sender.openOutbound(8, 64 * 1024 * 1024);
    const payload = randomBytes(3 * 1024 * 1024 + 17);
    connect();
    for (let i = 0; i < payload.length; i += 100_000) {
      sender.write(out, payload.subarray(i, i + 100_000));
      deliver(i % 700_000 === 0); // now and then the link dies with frames in flight
      if (i % 700_000 === 0) {
        sender.disconnect();
        receiver.disconnect();
        connect();
      }
    }
    sender.end(out);
    let flushed = false;
    out.on('flushed', () => (flushed = true));
    deliver();
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(digest(Buffer.concat(sink.chunks))).toBe(digest(payload));
    expect(sink.ended()).toBe(true);
    expect(flushed).toBe(true);
    expect(out.flushed).toBe(true);
  });
});
