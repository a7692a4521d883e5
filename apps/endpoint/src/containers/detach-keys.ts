/** dockerd's default: ctrl-p then ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/**
 * `--detach-keys` as bytes: `ctrl-<x>` for a control character (a–z, @, [, \, ], ^, _) or a
 * single character, comma-separated. Null when the text is not a valid sequence.
 */
export function parseDetachKeys(text: string): Buffer | null {
  const bytes: number[] = [];
  for (const key of text.split(',')) {
    const lower = key.toLowerCase();
    if (lower.startsWith('ctrl-') && key.length === 6) {
      const code = key.toUpperCase().charCodeAt(5);
      if (code < 0x40 || code > 0x5f) return null;
      bytes.push(code - 0x40);
    } else if (key.length === 1) {
      bytes.push(key.charCodeAt(0));
    } else {
      return null;
    }
  }
  return Buffer.from(bytes);
}

/**
 * Watches a stdin byte stream for the detach sequence. Bytes that might begin it are held back
 * until it is clear whether they do; `feed` returns what may go on to the process and whether
 * the sequence was seen (nothing after it is passed).
 */
export class DetachKeyScanner {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  feed(chunk: Buffer): { pass: Buffer; detached: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { pass: Buffer.from(out), detached: true };
        continue;
      }
      // A broken sequence: what was held back was ordinary input after all.
      out.push(...this.keys.subarray(0, this.matched));
      this.matched = byte === this.keys[0] ? 1 : 0;
      if (this.matched === 0) out.push(byte);
    }
    return { pass: Buffer.from(out), detached: false };
  }
}
