import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `maxBytes` of a file as UTF-8, or '' when it does not exist. */
export function readTail(path: string, maxBytes: number): string {
  if (!existsSync(path)) return '';
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
