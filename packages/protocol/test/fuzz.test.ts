import { describe, expect, it } from 'vitest';
import {
  decodeAck,
  decodeControl,
  decodeData,
  decodeHello,
  decodeWelcome,
  encode,
  FrameDecoder,
  FrameType,
  HEADER_BYTES,
  ProtocolError,
  type Frame,
} from '../src/index';

/** Deterministic PRNG (mulberry32) so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(next: () => number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

const decoders = [decodeHello, decodeWelcome, decodeControl, decodeData, decodeAck];
const validFrames = [
  encode.hello({ version: 1, containerId: 'c1', token: 't', received: { 4: 10 } }),
  encode.control({ kind: 'request', id: 1, request: { op: 'signal', id: 'main', signal: 'SIGTERM' } }),
  Buffer.concat(encode.data(5, { offset: 0, data: Buffer.from('hello') }, false)),
  Buffer.concat(encode.data(5, { offset: 2 ** 40, data: Buffer.from('far') }, true)),
  encode.ack(5, { consumed: 5, window: 1024, finished: false }),
];

describe('decoders under random input', () => {
  it('never throw, hang or grow past one frame on 2000 random streams', () => {
    const maxBody = 4096;
    for (let seed = 1; seed <= 2000; seed++) {
      const next = rng(seed);
      const decoder = new FrameDecoder(maxBody);
      for (let round = 0; round < 8; round++) {
        // Mix pure noise with real frames, sometimes truncated, sometimes bit-flipped.
        const pick = validFrames[Math.floor(next() * validFrames.length)]!;
        const choice = next();
        const piece =
          choice < 0.4
            ? randomBytes(next, Math.floor(next() * 3000))
            : choice < 0.7
              ? pick.subarray(0, Math.floor(next() * pick.length))
              : Buffer.from(pick).map((b) => (next() < 0.02 ? b ^ (1 << Math.floor(next() * 8)) : b));
        for (const frame of decoder.push(piece)) expect(frame.body.length).toBeLessThanOrEqual(maxBody);
        expect(decoder.bufferedBytes).toBeLessThanOrEqual(HEADER_BYTES + maxBody);
      }
    }
  });

  it('body decoders reject random bodies with ProtocolError only', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const next = rng(seed);
      const frame: Frame = { type: FrameType.Control, flags: 0, channel: 0, length: 0, body: randomBytes(next, Math.floor(next() * 64)) };
      for (const decode of decoders) {
        try {
          decode(frame);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }
    }
  });

  it('truncated valid frames never yield a frame', () => {
    for (const frame of validFrames) {
      for (let cut = 0; cut < frame.length; cut++) {
        expect(new FrameDecoder().push(frame.subarray(0, cut))).toHaveLength(0);
      }
    }
  });
});
