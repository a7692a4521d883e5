import { createWriteStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';

/**
 * Copies a tar to `file` byte for byte while `check` looks at every entry's header; resolves once
 * the whole tar is in the file and every entry was accepted, rejects with the first refusal. A
 * tool that trusts its input (GNU tar) then extracts the file: the bytes it reads are the ones
 * sent, so binary PAX records (xattrs such as security.capability) arrive unchanged, which a
 * re-encoded tar would not guarantee.
 */
export async function checkTarInto(input: Readable, file: string, check: (header: Header) => Promise<void>): Promise<void> {
  const entries = extract();
  const checked = new Promise<void>((resolve, reject) => {
    entries.on('entry', (header, content, next) => {
      check(header).then(() => {
        content.on('end', () => next());
        content.resume();
      }, reject);
    });
    entries.on('finish', resolve);
    entries.on('error', reject);
  });
  const toChecks = new PassThrough();
  const toFile = new PassThrough();
  // The input goes on only as fast as the slower of the two readers.
  const resumeIfDrained = () => {
    if (!toChecks.writableNeedDrain && !toFile.writableNeedDrain) input.resume();
  };
  input.on('data', (chunk: Buffer) => {
    const checksKeepUp = toChecks.write(chunk);
    const fileKeepsUp = toFile.write(chunk);
    if (!checksKeepUp || !fileKeepsUp) input.pause();
  });
  toChecks.on('drain', resumeIfDrained);
  toFile.on('drain', resumeIfDrained);
  input.on('end', () => {
    toChecks.end();
    toFile.end();
  });
  input.on('error', (err) => {
    toChecks.destroy(err);
    toFile.destroy(err);
  });
  toChecks.pipe(entries as unknown as NodeJS.WritableStream);
  try {
    await Promise.all([checked, pipeline(toFile, createWriteStream(file))]);
  } catch (err) {
    input.destroy();
    toFile.destroy();
    entries.destroy();
    throw err;
  }
}
