import { Packr } from 'msgpackr';
import { encodeFrame, FrameFlags, frameHeader, FrameType, HEADER_BYTES, type Frame } from './frame';
import type { AckBody, ControlMessage, DataBody, Hello, Reject, Welcome } from './messages';

// Plain maps and arrays only: no msgpackr records or extensions, so any msgpack peer can read us
// and a hostile body cannot make the decoder build shared structures.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'number' });

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

function decodeBody(frame: Frame): unknown {
  try {
    return packr.unpack(frame.body);
  } catch (err) {
    throw new ProtocolError(`undecodable ${FrameType[frame.type]} frame body: ${(err as Error).message}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function expect<T>(ok: boolean, frame: Frame, value: unknown): T {
  if (!ok) throw new ProtocolError(`malformed ${FrameType[frame.type]} frame`);
  return value as T;
}

function isOffsetMap(v: unknown): boolean {
  return isObject(v) && Object.entries(v).every(([k, n]) => /^\d+$/.test(k) && isCount(n));
}

export function decodeHello(frame: Frame): Hello {
  const v = decodeBody(frame);
  return expect(isObject(v) && isCount(v.version) && typeof v.containerId === 'string' && typeof v.token === 'string' && isOffsetMap(v.received), frame, v);
}

export function decodeWelcome(frame: Frame): Welcome {
  const v = decodeBody(frame);
  return expect(isObject(v) && isCount(v.version) && typeof v.containerId === 'string' && isOffsetMap(v.received) && Array.isArray(v.sessions), frame, v);
}

export function decodeReject(frame: Frame): Reject {
  const v = decodeBody(frame);
  return expect(isObject(v) && typeof v.reason === 'string', frame, v);
}

export function decodeControl(frame: Frame): ControlMessage {
  const v = decodeBody(frame);
  const ok =
    isObject(v) &&
    ((v.kind === 'request' && isCount(v.id) && isObject(v.request) && typeof v.request.op === 'string') ||
      (v.kind === 'reply' && isCount(v.id) && typeof v.ok === 'boolean' && (v.ok || isObject(v.error))) ||
      (v.kind === 'event' && isObject(v.body) && typeof v.body.event === 'string'));
  return expect(ok, frame, v);
}

export function decodeData(frame: Frame): DataBody {
  const v = decodeBody(frame);
  return expect(isObject(v) && isCount(v.offset) && v.data instanceof Uint8Array, frame, v);
}

export function decodeAck(frame: Frame): AckBody {
  const v = decodeBody(frame);
  return expect(isObject(v) && isCount(v.consumed) && isCount(v.window) && typeof v.finished === 'boolean', frame, v);
}

const OFFSET_KEY = Buffer.from([0x82, 0xa6, ...Buffer.from('offset')]); // fixmap(2), "offset"
const DATA_KEY = Buffer.from([0xa4, ...Buffer.from('data')]); // "data"

/**
 * A Data frame as [header + msgpack up to the payload, payload]: exactly what packr would write
 * for {offset, data} (uint32/uint64 offset, bin32 data), but the payload is never copied. Data
 * frames carry every byte of container output, and in the guest each copy costs real CPU.
 */
function encodeDataFrame(channel: number, body: DataBody, fin: boolean): Buffer[] {
  const offsetBytes = body.offset <= 0xffffffff ? 5 : 9;
  const prefixLength = OFFSET_KEY.length + offsetBytes + DATA_KEY.length + 5;
  const head = frameHeader(FrameType.Data, channel, prefixLength + body.data.length, fin ? FrameFlags.Fin : 0, prefixLength);
  let at = HEADER_BYTES + OFFSET_KEY.copy(head, HEADER_BYTES);
  if (offsetBytes === 5) {
    head[at] = 0xce;
    head.writeUInt32BE(body.offset, at + 1);
  } else {
    head[at] = 0xcf;
    head.writeBigUInt64BE(BigInt(body.offset), at + 1);
  }
  at += offsetBytes;
  at += DATA_KEY.copy(head, at);
  head[at] = 0xc6;
  head.writeUInt32BE(body.data.length, at + 1);
  const data = Buffer.isBuffer(body.data) ? body.data : Buffer.from(body.data.buffer, body.data.byteOffset, body.data.byteLength);
  return [head, data];
}

export const encode = {
  hello: (m: Hello) => encodeFrame(FrameType.Hello, 0, packr.pack(m)),
  welcome: (m: Welcome) => encodeFrame(FrameType.Welcome, 0, packr.pack(m)),
  reject: (m: Reject) => encodeFrame(FrameType.Reject, 0, packr.pack(m)),
  control: (m: ControlMessage) => encodeFrame(FrameType.Control, 0, packr.pack(m)),
  data: encodeDataFrame,
  ack: (channel: number, body: AckBody) => encodeFrame(FrameType.Ack, channel, packr.pack(body)),
};
