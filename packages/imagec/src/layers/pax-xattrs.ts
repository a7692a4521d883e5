import { Transform, type TransformCallback } from 'node:stream';

/** Extended attributes of one tar entry: name → raw value. */
export type Xattrs = Map<string, Buffer>;

const BLOCK = 512;
const XATTR_PAX_PREFIX = 'SCHILY.xattr.';
const TYPEFLAG_OFFSET = 156;
const SIZE_OFFSET = 124;
const SIZE_LENGTH = 12;
const DIRECTORY = 0x35; // '5'
const PAX_HEADER = 0x78; // 'x'
const PAX_GLOBAL = 0x67; // 'g'
const GNU_LONG_NAME = 0x4c; // 'L'
const GNU_LONG_LINK = 0x4b; // 'K'

/**
 * Passes a tar stream through unchanged while keeping, for every entry in order, the raw bytes
 * of its PAX `SCHILY.xattr.*` records. tar-stream decodes PAX values as UTF-8, which mangles a
 * binary value such as `security.capability`; this walks the same blocks tar-stream reads and
 * keeps the bytes. It follows tar-stream's own rules (a global header counts only for entries
 * that have their own PAX header; a directory carries no data) so its entries line up with
 * tar-stream's one for one — `nextEntryXattrs()` is called once per tar-stream entry, and the caller checks
 * the two agree.
 */
export class PaxXattrTap extends Transform {
  private readonly pending: Array<Xattrs | null> = [];
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Bytes of entry data (with padding) still to pass before the next header. */
  private skip = 0;
  /** A PAX header's records being collected, and how many bytes are still missing. */
  private capture: { kind: number; parts: Buffer[]; missing: number; padding: number } | null = null;
  private entryPax: { xattrs: Xattrs; size?: number } | null = null;
  private globalPax: Xattrs | null = null;

  /** The xattrs of the next entry, or null when it has none. */
  nextEntryXattrs(): Xattrs | null {
    return this.pending.shift() ?? null;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const step = Math.min(this.skip, chunk.length - offset);
        this.skip -= step;
        offset += step;
      } else if (this.capture) {
        const step = Math.min(this.capture.missing, chunk.length - offset);
        this.capture.parts.push(chunk.subarray(offset, offset + step));
        this.capture.missing -= step;
        offset += step;
        if (this.capture.missing === 0) this.finishCapture();
      } else {
        const step = Math.min(BLOCK - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + step);
        this.headerFill += step;
        offset += step;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.readHeader(this.header);
        }
      }
    }
    callback(null, chunk);
  }

  private readHeader(header: Buffer): void {
    if (header.every((byte) => byte === 0)) return; // end-of-archive blocks
    const typeflag = header[TYPEFLAG_OFFSET];
    const headerSize = decodeSize(header.subarray(SIZE_OFFSET, SIZE_OFFSET + SIZE_LENGTH));
    if (typeflag === PAX_HEADER || typeflag === PAX_GLOBAL || typeflag === GNU_LONG_NAME || typeflag === GNU_LONG_LINK) {
      this.capture = { kind: typeflag, parts: [], missing: headerSize, padding: padding(headerSize) };
      if (headerSize === 0) this.finishCapture();
      return;
    }
    const own = this.entryPax;
    this.entryPax = null;
    const xattrs = own === null ? null : new Map([...(this.globalPax ?? []), ...own.xattrs]);
    this.pending.push(xattrs !== null && xattrs.size > 0 ? xattrs : null);
    const size = own?.size ?? headerSize;
    this.skip = typeflag === DIRECTORY ? 0 : size + padding(size);
  }

  private finishCapture(): void {
    const { kind, parts, padding: pad } = this.capture!;
    this.capture = null;
    this.skip = pad;
    if (kind === PAX_HEADER) this.entryPax = parsePaxRecords(Buffer.concat(parts));
    else if (kind === PAX_GLOBAL) this.globalPax = parsePaxRecords(Buffer.concat(parts)).xattrs;
  }
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** A tar size field: octal text, or base-256 when the first byte's high bit is set. */
function decodeSize(field: Buffer): number {
  if (field.readUInt8(0) & 0x80) {
    let value = field.readUInt8(0) & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field.readUInt8(i);
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** PAX records are `<length> <key>=<value>\n`, the length counting the whole record in bytes. */
function parsePaxRecords(records: Buffer): { xattrs: Xattrs; size?: number } {
  const xattrs: Xattrs = new Map();
  let size: number | undefined;
  let rest = records;
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    const length = space > 0 ? parseInt(rest.subarray(0, space).toString('latin1'), 10) : NaN;
    if (!(length > space)) break;
    const record = rest.subarray(space + 1, length - 1);
    const equals = record.indexOf(0x3d);
    if (equals < 0) break;
    const key = record.subarray(0, equals).toString('utf8');
    const value = record.subarray(equals + 1);
    if (key.startsWith(XATTR_PAX_PREFIX)) xattrs.set(key.slice(XATTR_PAX_PREFIX.length), Buffer.from(value));
    else if (key === 'size') size = parseInt(value.toString('latin1'), 10);
    rest = rest.subarray(length);
  }
  return { xattrs, size };
}
