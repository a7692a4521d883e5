import { pack, type Header } from 'tar-stream';

export type TarEntry = Partial<Header> & { name: string; content?: string | Buffer; pax?: Record<string, string> };

/** Packs entries into an uncompressed tar, in order, as an image build tool would. */
export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of archive as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) =>
      archive.entry({ mtime: new Date(1_000_000_000_000), ...header }, content ?? '', (error) => (error ? reject(error) : resolve())),
    );
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}
