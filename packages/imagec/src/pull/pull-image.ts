import { rm } from 'node:fs/promises';
import type { Descriptor } from '../image/image-types';
import { layerCompression } from '../image/media-types';
import { layerStatusMessage, progressMessage, shortDigest, statusMessage, type JsonMessage, type ProgressSink } from '../progress/json-message';
import { familiarString, fullName, fullString, withDefaultTag } from '../reference/format-reference';
import type { ImageReference } from '../reference/image-reference';
import { parseReference } from '../reference/parse-reference';
import type { RegistryErrorCode } from '../registry/errors';
import type { RegistryClient, ResolvedImage } from '../registry/registry-client';
import { fail, ok, type Result } from '../result';
import type { LayerRef } from '../store/image-record';
import type { ImageStore } from '../store/image-store';

export type PullErrorCode = RegistryErrorCode | 'INVALID_REFERENCE' | 'LAYER_UNSUPPORTED' | 'LAYER_IMPORT_FAILED' | 'STORE_FAILED';

export interface PulledImage {
  id: string;
  /** Digest of what the reference named (the index for multi-arch images). */
  digest: string;
  /** Full reference that now names the image (tag, or name@digest when pulled by digest). */
  reference: string;
  /** False when the store already had the image. */
  downloaded: boolean;
}

/** How often one layer's byte counts are reported; dockerd's progress reader rate-limits alike. */
const PROGRESS_INTERVAL_MS = 100;

/**
 * `docker pull`: resolves the reference, downloads the layers the store lacks (in parallel,
 * through the client's shared pool), turns each into its layer disk as soon as it arrives, and
 * names the image only once every layer is in — so a failure leaves earlier images untouched and
 * a retry reuses the layers already stored. Progress goes out as the lines dockerd streams.
 */
export async function pullImage(
  store: ImageStore,
  registry: RegistryClient,
  input: string,
  onProgress: ProgressSink = () => {},
): Promise<Result<PulledImage, PullErrorCode>> {
  const parsed = parseReference(input);
  if (!parsed.ok) return fail('INVALID_REFERENCE', parsed.error.message);
  const reference = withDefaultTag(parsed.value);
  const tagOrDigest = reference.digest ? `${reference.digest.algorithm}:${reference.digest.encoded}` : reference.tag!;
  // Nothing is reported before the image resolves, so a caller can still answer a bad name or
  // an unreachable registry with an error status, as dockerd does, rather than inside a stream.
  const resolved = await registry.resolve(reference);
  if (!resolved.ok) return resolved;
  onProgress(statusMessage(`Pulling from ${reference.path}`, tagOrDigest));
  const image = resolved.value;
  const upToDate = store.get(image.manifest.config.digest) !== undefined && image.config.rootfs.diff_ids.every((diffId) => store.layers.get(diffId) !== undefined);

  const layers: LayerRef[] = [];
  if (upToDate) {
    layers.push(...store.get(image.manifest.config.digest)!.layers);
  } else {
    const fetched = await fetchLayers(store, registry, reference, image, onProgress);
    if (!fetched.ok) return fetched;
    layers.push(...fetched.value);
  }

  await store.blobs.put(image.manifestBytes);
  const repoDigest = `${fullName(reference)}@${image.digest}`;
  const named = reference.digest === undefined ? fullString(reference) : repoDigest;
  const added = await store.addImage({
    config: image.configBytes,
    layers,
    manifest: { digest: image.manifestDigest, mediaType: image.manifestMediaType },
    repoDigest,
    ...(reference.digest === undefined ? { tag: named } : {}),
  });
  if (!added.ok) return fail('STORE_FAILED', added.error.message);

  onProgress(statusMessage(`Digest: ${image.digest}`));
  onProgress(statusMessage(`Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarString(reference)}`));
  return ok({ id: added.value.id, digest: image.digest, reference: named, downloaded: !upToDate });
}

async function fetchLayers(
  store: ImageStore,
  registry: RegistryClient,
  reference: ImageReference,
  image: ResolvedImage,
  onProgress: ProgressSink,
): Promise<Result<LayerRef[], PullErrorCode>> {
  const diffIds = image.config.rootfs.diff_ids;
  const jobs = image.manifest.layers.map((descriptor, index) => {
    const diffId = diffIds[index]!;
    if (store.layers.get(diffId) !== undefined) {
      onProgress(layerStatusMessage('Already exists', shortDigest(descriptor.digest)));
      return Promise.resolve(ok<LayerRef>({ diffId, blob: blobRef(descriptor) }));
    }
    onProgress(layerStatusMessage('Pulling fs layer', shortDigest(descriptor.digest)));
    return fetchLayer(store, registry, reference, descriptor, diffId, onProgress);
  });
  // Every job settles before the pull answers, so no download outlives a failed pull.
  const results = await Promise.all(jobs);
  const failure = results.find((result) => !result.ok);
  if (failure && !failure.ok) return failure;
  return ok(results.map((result) => (result as { value: LayerRef }).value));
}

function blobRef(descriptor: Descriptor): LayerRef['blob'] {
  return { digest: descriptor.digest, mediaType: descriptor.mediaType, size: descriptor.size };
}

async function fetchLayer(
  store: ImageStore,
  registry: RegistryClient,
  reference: ImageReference,
  descriptor: Descriptor,
  diffId: string,
  onProgress: ProgressSink,
): Promise<Result<LayerRef, PullErrorCode>> {
  const id = shortDigest(descriptor.digest);
  const compression = layerCompression(descriptor.mediaType);
  if (compression === null) return fail('LAYER_UNSUPPORTED', `unsupported layer media type ${descriptor.mediaType} for ${descriptor.digest}`);

  if (!(await store.blobs.has(descriptor.digest))) {
    const temp = store.blobs.tempPath();
    try {
      const downloading = throttled(onProgress);
      const downloaded = await registry.fetchBlob(reference, descriptor, temp, (done, total) => downloading(progressMessage('Downloading', id, done, total), done === total));
      if (!downloaded.ok) return downloaded;
      onProgress(layerStatusMessage('Verifying Checksum', id));
      // fetchBlob resolves only once the file hashed to the digest.
      await store.blobs.commitVerified(temp, descriptor.digest);
      onProgress(layerStatusMessage('Download complete', id));
    } finally {
      await rm(temp, { force: true });
    }
  }

  const extracting = throttled(onProgress);
  const imported = await store.layers.importLayer({ diffId, blobPath: store.blobs.path(descriptor.digest), compression }, (done: number, total: number) =>
    extracting(progressMessage('Extracting', id, done, total), done === total),
  );
  if (!imported.ok) return fail('LAYER_IMPORT_FAILED', `failed to register layer ${diffId}: ${imported.error.message}`);
  onProgress(layerStatusMessage('Pull complete', id));
  return ok({ diffId, blob: blobRef(descriptor) });
}

/** Passes on at most one message per interval, always the last one. */
function throttled(sink: ProgressSink): (message: JsonMessage, final: boolean) => void {
  let last = 0;
  return (message, final) => {
    const now = Date.now();
    if (!final && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    sink(message);
  };
}
