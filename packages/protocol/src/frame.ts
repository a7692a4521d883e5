/**
 * Wire framing. Every frame is a 14-byte header followed by a msgpack body:
 *
 *   0      2     3      4          8          12        14
 *   | 'vC' | type| flags| channel  | length   | check   | body (length bytes)
 *
 * The header carries its own Fletcher-16 checksum so a reader that starts in the middle of
 * boot noise (a serial line carries whatever the firmware printed) can find the next real
 * frame: a magic match alone is not trusted, the checksum and the length bound must agree too.
 */
export const FRAME_MAGIC = 0x7643; // "vC"
export const HEADER_BYTES = 14;
/** Upper bound of one frame body: bounds every buffer a decoder keeps. */
export const MAX_BODY_BYTES = 1 << 20;

export enum FrameType {
  Hello = 1,
  Welcome = 2,
  Reject = 3,
  Control = 4,
  Data = 5,
  Ack = 6,
}

export const FrameFlags = {
  /** Data frame: the stream ends after this frame's bytes. */
  Fin: 0x01,
} as const;

export interface FrameHeader {
  type: FrameType;
  flags: number;
  channel: number;
  length: number;
}

export interface Frame extends FrameHeader {
  body: Uint8Array;
}

export function fletcher16(bytes: Uint8Array, start: number, end: number): number {
  let a = 0;
  let b = 0;
  for (let i = start; i < end; i++) {
    a = (a + bytes[i]!) % 255;
    b = (b + a) % 255;
  }
  return (b << 8) | a;
}

const KNOWN_TYPES = new Set<number>(Object.values(FrameType).filter((v): v is number => typeof v === 'number'));

/** A frame header for a body of `length` bytes, with `extra` spare bytes after it for the caller. */
export function frameHeader(type: FrameType, channel: number, length: number, flags = 0, extra = 0): Buffer {
  if (length > MAX_BODY_BYTES) {
    throw new RangeError(`frame body of ${length} bytes exceeds the ${MAX_BODY_BYTES}-byte limit`);
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES + extra);
  out.writeUInt16BE(FRAME_MAGIC, 0);
  out.writeUInt8(type, 2);
  out.writeUInt8(flags, 3);
  out.writeUInt32BE(channel >>> 0, 4);
  out.writeUInt32BE(length, 8);
  out.writeUInt16BE(fletcher16(out, 0, 12), 12);
  return out;
}

export function encodeFrame(type: FrameType, channel: number, body: Uint8Array, flags = 0): Buffer {
  const out = frameHeader(type, channel, body.length, flags, body.length);
  out.set(body, HEADER_BYTES);
  return out;
}

/** Parses a header at `offset`, or returns null when the bytes there are not a valid header. */
export function parseHeader(buf: Buffer, offset: number, maxBody = MAX_BODY_BYTES): FrameHeader | null {
  if (buf.readUInt16BE(offset) !== FRAME_MAGIC) return null;
  if (buf.readUInt16BE(offset + 12) !== fletcher16(buf, offset, offset + 12)) return null;
  const type = buf.readUInt8(offset + 2);
  const length = buf.readUInt32BE(offset + 8);
  if (!KNOWN_TYPES.has(type) || length > maxBody) return null;
  return { type, flags: buf.readUInt8(offset + 3), channel: buf.readUInt32BE(offset + 4), length };
}
