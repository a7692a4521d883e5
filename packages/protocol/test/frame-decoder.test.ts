import { describe, expect, it } from 'vitest';
import { encode, encodeFrame, FrameDecoder, FrameType, HEADER_BYTES, MAX_BODY_BYTES, decodeControl } from '../src/index';

const ping = encode.control({ kind: 'request', id: 7, request: { op: 'ping' } });

describe('FrameDecoder', () => {
  it('decodes a frame fed one byte at a time', () => {
    const decoder = new FrameDecoder();
    const frames = [...ping].flatMap((byte) => decoder.push(Uint8Array.of(byte)));
    expect(frames).toHaveLength(1);
    expect(decodeControl(frames[0]!)).toEqual({ kind: 'request', id: 7, request: { op: 'ping' } });
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('skips boot noise before the first frame and counts it', () => {
    const noise = Buffer.from('SeaBIOS (version 1.16)\r\nBooting from ROM...\r\nvC garbage vC\x00\x01');
    const decoder = new FrameDecoder();
    const frames = decoder.push(Buffer.concat([noise, ping, ping]));
    expect(frames).toHaveLength(2);
    expect(decoder.skippedBytes).toBe(noise.length);
  });

  it('resyncs after a frame whose header was corrupted', () => {
    const bad = Buffer.from(ping);
    bad[9] = bad[9]! ^ 0xff; // length byte: the header checksum no longer matches
    const decoder = new FrameDecoder();
    const frames = decoder.push(Buffer.concat([bad, ping]));
    expect(frames).toHaveLength(1);
    expect(decodeControl(frames[0]!).kind).toBe('request');
  });

  it('refuses to encode a body above the frame limit', () => {
    expect(() => encodeFrame(FrameType.Data, 1, new Uint8Array(MAX_BODY_BYTES + 1))).toThrow(/exceeds/);
  });

  it('treats a header announcing more than the limit as noise', () => {
    const decoder = new FrameDecoder(1024);
    const big = encodeFrame(FrameType.Data, 1, new Uint8Array(2048));
    expect(decoder.push(big)).toHaveLength(0);
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(HEADER_BYTES + 1024);
    expect(decoder.push(ping)).toHaveLength(1);
  });
});

describe('Data frames', () => {
  it('decode to what msgpack would give for {offset, data}, at small and large offsets', async () => {
    const { decodeData } = await import('../src/index');
    for (const offset of [0, 70_000, 2 ** 32 + 5, 2 ** 50]) {
      const [frame] = new FrameDecoder().push(Buffer.concat(encode.data(9, { offset, data: Buffer.from('payload') }, true)));
      expect(frame!.channel).toBe(9);
      const body = decodeData(frame!);
      expect(body.offset).toBe(offset);
      expect(Buffer.from(body.data).toString()).toBe('payload');
    }
  });
});
