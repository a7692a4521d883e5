import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Pack } from 'tar-stream';
import type { Descriptor, ImageManifest } from '../image/image-types';
import { MediaType } from '../image/media-types';
import { familiarFromFull, fullString } from '../reference/format-reference';
import { fail, ok, type Result } from '../result';
import type { ImageLookupErrorCode } from '../store/image-lookup';
import type { ImageRecord } from '../store/image-record';
import type { ImageStore } from '../store/image-store';
import { containerdImageNameAnnotation, ociLayoutFile, ociRefNameAnnotation, type DockerArchiveManifestEntry } from './archive-formats';

export type SaveErrorCode = ImageLookupErrorCode | 'IMAGE_BLOB_MISSING';

interface SavedImage {
  record: ImageRecord;
  /** Full `name:tag` it was asked for by; absent when asked for by ID. */
  tag?: string;
  manifest: { descriptor: Descriptor; bytes: Buffer };
}

/**
 * `docker save`: the images as one tar in the layout Docker 25+ writes, an OCI image layout
 * (`oci-layout`, `index.json`, `blobs/`) plus the legacy `manifest.json`, so both older and newer
 * `docker load` read it. Layer blobs go out as they were pulled, compressed or not.
 * Every name is resolved before the first byte, so a typo fails cleanly instead of mid-stream.
 */
export async function saveImageArchive(store: ImageStore, names: string[]): Promise<Result<Readable, SaveErrorCode>> {
  const images: SavedImage[] = [];
  for (const name of names) {
    const match = store.find(name);
    if (!match.ok) return match;
    const { record, reference } = match.value;
    const missing = record.layers.find((layer) => layer.blob === undefined);
    if (missing) return fail('IMAGE_BLOB_MISSING', `image ${name}: the blob of layer ${missing.diffId} is not kept, cannot save`);
    const manifest = await manifestOf(store, record);
    const tag = reference && reference.digest === undefined ? fullString(reference) : undefined;
    images.push({ record, ...(tag ? { tag } : {}), manifest });
  }
  const archive = pack();
  writeArchive(store, images, archive).then(
    () => archive.finalize(),
    (error: Error) => archive.destroy(error),
  );
  // tar-stream packs into a streamx stream; callers (the Engine API) expect a Node stream.
  return ok(Readable.from(archive));
}

/** The manifest the image came with, or one written now for images that had none (legacy loads). */
async function manifestOf(store: ImageStore, record: ImageRecord): Promise<{ descriptor: Descriptor; bytes: Buffer }> {
  if (record.manifest) {
    const stored = await store.blobs.read(record.manifest.digest);
    if (stored.ok) return { descriptor: { mediaType: record.manifest.mediaType, digest: record.manifest.digest, size: stored.value.length }, bytes: stored.value };
  }
  const config = await store.blobs.read(record.id);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: record.id, size: config.ok ? config.value.length : 0 },
    layers: record.layers.map((layer) => ({ mediaType: layer.blob!.mediaType, digest: layer.blob!.digest, size: layer.blob!.size })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { descriptor: { mediaType: MediaType.ociManifest, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length }, bytes };
}

function blobName(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

async function writeArchive(store: ImageStore, images: SavedImage[], archive: Pack): Promise<void> {
  const written = new Set<string>();
  const addBytes = async (name: string, bytes: Buffer) => {
    await new Promise<void>((resolve, reject) => archive.entry({ name, size: bytes.length, mode: 0o644, mtime: new Date(0) }, bytes, (error) => (error ? reject(error) : resolve())));
  };
  const addBlob = async (digest: string) => {
    if (written.has(digest)) return;
    written.add(digest);
    const path = store.blobs.path(digest);
    const { size } = await stat(path);
    const entry = archive.entry({ name: blobName(digest), size, mode: 0o644, mtime: new Date(0) });
    await pipeline(createReadStream(path), entry);
  };

  await addBytes('oci-layout', Buffer.from(JSON.stringify(ociLayoutFile)));
  const legacyManifest: DockerArchiveManifestEntry[] = [];
  const index: Descriptor[] = [];
  for (const image of images) {
    await addBlob(image.record.id);
    for (const layer of image.record.layers) await addBlob(layer.blob!.digest);
    if (!written.has(image.manifest.descriptor.digest)) {
      written.add(image.manifest.descriptor.digest);
      await addBytes(blobName(image.manifest.descriptor.digest), image.manifest.bytes);
    }
    const tags = image.tag ? [image.tag] : [];
    legacyManifest.push({
      Config: blobName(image.record.id),
      RepoTags: tags.map(familiarFromFull),
      Layers: image.record.layers.map((layer) => blobName(layer.blob!.digest)),
    });
    index.push({
      ...image.manifest.descriptor,
      ...(image.tag ? { annotations: { [containerdImageNameAnnotation]: image.tag, [ociRefNameAnnotation]: image.tag.slice(image.tag.lastIndexOf(':') + 1) } } : {}),
    });
  }
  await addBytes('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: index })));
  await addBytes('manifest.json', Buffer.from(JSON.stringify(legacyManifest)));
}
