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

  it('lets a new receiver join a stream midway: it gets what its predecessor had not consumed, once', () => {
    const sender = new StreamMux();
    const out = sender.openOutbound(4);
    const payload = randomBytes(600_000);
    const run = (receiver: StreamMux, received: Record<number, number>) => {
      const toReceiver: Buffer[] = [];
      const toSender: Buffer[] = [];
      const fromSender = new FrameDecoder();
      const fromReceiver = new FrameDecoder();
      sender.resume((parts) => toReceiver.push(Buffer.concat(parts)), received);
      receiver.resume((parts) => toSender.push(Buffer.concat(parts)), {});
      return () => {
        while (toReceiver.length || toSender.length) {
          for (const bytes of toReceiver.splice(0)) for (const f of fromSender.push(bytes)) receiver.handleFrame(f);
          for (const bytes of toSender.splice(0)) for (const f of fromReceiver.push(bytes)) sender.handleFrame(f);
        }
      };
    };
    // The first receiver consumes 300 000 bytes, then goes away without a word.
    const first = new StreamMux();
    let firstInbound!: ReturnType<StreamMux['openInbound']>;
    const firstSink = collectingSink((n) => firstInbound.consumed(n));
    firstInbound = first.openInbound(4, firstSink.sink);
    const deliverFirst = run(first, {});
    sender.write(out, payload.subarray(0, 300_000));
    deliverFirst();
    sender.disconnect();
    // Its successor knows nothing of the stream and says so (no offset for channel 4).
    const second = new StreamMux();
    let secondInbound!: ReturnType<StreamMux['openInbound']>;
    const secondSink = collectingSink((n) => secondInbound.consumed(n));
    secondInbound = second.openInbound(4, secondSink.sink, { joinMidway: true });
    const deliverSecond = run(second, second.receivedOffsets());
    sender.write(out, payload.subarray(300_000));
    sender.end(out);
    deliverSecond();
    const firstBytes = Buffer.concat(firstSink.chunks);
    const secondBytes = Buffer.concat(secondSink.chunks);
    expect(firstBytes.equals(payload.subarray(0, 300_000))).toBe(true);
    // Acks go out every quarter window, so the successor may see again what its predecessor consumed but had not yet acknowledged.
    const overlap = firstBytes.length + secondBytes.length - payload.length;
    expect(overlap).toBeGreaterThanOrEqual(0);
    expect(overlap).toBeLessThan(INITIAL_WINDOW / 4);
    expect(secondBytes.equals(payload.subarray(payload.length - secondBytes.length))).toBe(true);
    expect(secondSink.ended()).toBe(true);
    expect(out.flushed).toBe(true);
  });

  it('lets a new sender continue a stream after the bytes the receiver already has', () => {
    const receiver = new StreamMux();
    let inbound!: ReturnType<StreamMux['openInbound']>;
    const sink = collectingSink((n) => inbound.consumed(n));
    inbound = receiver.openInbound(4, sink.sink);
    const frames: Buffer[] = [];
    const decoder = new FrameDecoder();
    const first = new StreamMux();
    const out1 = first.openOutbound(4);
    receiver.resume(() => {}, {});
    first.resume((parts) => frames.push(Buffer.concat(parts)), {});
    first.write(out1, Buffer.from('hello '));
    for (const bytes of frames.splice(0)) for (const f of decoder.push(bytes)) receiver.handleFrame(f);
    // A successor opens the stream afresh and resumes at what the receiver reports.
    const second = new StreamMux();
    const out2 = second.openOutbound(4);
    second.resume((parts) => frames.push(Buffer.concat(parts)), receiver.receivedOffsets());
    second.write(out2, Buffer.from('world'));
    for (const bytes of frames.splice(0)) for (const f of decoder.push(bytes)) receiver.handleFrame(f);
    expect(Buffer.concat(sink.chunks).toString()).toBe('hello world');
  });
});
