import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { tarOf, type TarEntry } from '@vic/sample-images';

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A layer blob as a registry serves it (gzip), with its diffID (digest of the tar). */
export async function gzipLayer(entries: TarEntry[]): Promise<{ tar: Buffer; blob: Buffer; diffId: string; digest: string }> {
  const tar = await tarOf(entries);
  const blob = gzipSync(tar);
  return { tar, blob, diffId: sha256(tar), digest: sha256(blob) };
}
