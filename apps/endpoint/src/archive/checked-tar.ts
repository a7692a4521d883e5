import type { Readable } from 'node:stream';
import { extract, pack, type Header } from 'tar-stream';

/**
 * Passes a tar through entry by entry, each only once `check` has accepted it; the first refusal
 * fails the output stream. Lets a tool that trusts its input (GNU tar) extract an untrusted one.
 */
export function checkedTar(input: Readable, check: (header: Header) => Promise<void>): Readable {
  const entries = extract();
  const output = pack();
  entries.on('entry', (header, content, next) => {
    check(header).then(
      () => {
        const sink = output.entry(header, next);
        if (header.type === 'file' || header.type === 'contiguous-file') content.pipe(sink);
        else content.resume();
      },
      (err: Error) => {
        entries.destroy(err);
        output.destroy(err);
      },
    );
  });
  entries.on('finish', () => output.finalize());
  entries.on('error', (err) => output.destroy(err));
  input.on('error', (err) => entries.destroy(err));
  input.pipe(entries as unknown as NodeJS.WritableStream);
  return output as unknown as Readable;
}
