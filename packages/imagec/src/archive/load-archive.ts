import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parseDigest } from '../digest';
import type { ImageIndex, ImageManifest } from '../image/image-types';
import { MediaType } from '../image/media-types';
import { layerStatusMessage, shortDigest, type ProgressSink } from '../progress/json-message';
import { familiarFromFull, fullString, withDefaultTag } from '../reference/format-reference';
import { parseReference } from '../reference/parse-reference';
import { formatPlatform, linuxAmd64, selectManifest } from '../registry/platform';
import { fail, ok, type Result } from '../result';
import type { LayerRef } from '../store/image-record';
import type { ImageStore } from '../store/image-store';
import {
  containerdImageNameAnnotation,
  ociRefNameAnnotation,
  type DockerArchiveManifestEntry,
  type OciIndexFile,
} from './archive-formats';
import { sniffCompression } from './layer-compression';
import { unpackArchive, type ArchiveErrorCode, type ArchiveFiles } from './unpack-archive';

export type LoadErrorCode = ArchiveErrorCode | 'ARCHIVE_LAYER_INVALID' | 'ARCHIVE_IMAGE_INVALID';

export interface LoadedImage {
  id: string;
  /** Full references the image was tagged with. */
  tags: string[];
}

/** An image as the archive describes it, before anything enters the store. */
interface ArchivedImage {
  configPath: string;
  layerPaths: string[];
  /** Layer blob digests, when the archive format names them (OCI layout). */
  layerDigests?: string[];
  tags: string[];
  manifest?: { digest: string; mediaType: string };
}

const MAX_METADATA_BYTES = 16 * 1024 * 1024;
const compressionMediaType = { none: MediaType.ociLayerTar, gzip: MediaType.ociLayerGzip, zstd: MediaType.ociLayerZstd };

/**
 * `docker load`: reads a `docker save` archive (legacy `manifest.json`, or the OCI layout that
 * Docker 25+ writes alongside it) into the store. Every layer is checked against the config's
 * diff_ids by the layer store; nothing is named until the whole image is in.
 */
export async function loadImageArchive(store: ImageStore, input: Readable, onProgress: ProgressSink = () => {}): Promise<Result<LoadedImage[], LoadErrorCode>> {
  const workDir = store.blobs.tempPath();
  await mkdir(workDir, { recursive: true });
  try {
    const files = await unpackArchive(input, workDir);
    if (!files.ok) return files;
    const images = await describeArchive(files.value);
    if (!images.ok) return images;
    const loaded: LoadedImage[] = [];
    const context: LoadContext = { store, files: files.value, adopted: new Map(), onProgress };
    for (const image of images.value) {
      const result = await loadOne(context, image);
      if (!result.ok) return result;
      loaded.push(result.value);
      const names = result.value.tags.length > 0 ? result.value.tags.map((tag) => `Loaded image: ${familiarFromFull(tag)}`) : [`Loaded image ID: ${result.value.id}`];
      for (const line of names) onProgress({ stream: `${line}\n` });
    }
    return ok(loaded);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}


async function readMetadata(files: ArchiveFiles, name: string): Promise<Result<unknown, LoadErrorCode>> {
  const path = files.get(name);
  if (path === undefined) return fail('ARCHIVE_IMAGE_INVALID', `invalid archive: ${name} is missing`);
  if ((await stat(path)).size > MAX_METADATA_BYTES) return fail('ARCHIVE_IMAGE_INVALID', `invalid archive: ${name} is larger than ${MAX_METADATA_BYTES} bytes`);
  try {
    return ok(JSON.parse(await readFile(path, 'utf8')));
  } catch (error) {
    return fail('ARCHIVE_IMAGE_INVALID', `invalid archive: ${name}: ${(error as Error).message}`);
  }
}

function blobName(digest: string): string | null {
  const parsed = parseDigest(digest);
  return parsed.ok ? `blobs/${parsed.value.algorithm}/${parsed.value.encoded}` : null;
}

async function describeArchive(files: ArchiveFiles): Promise<Result<ArchivedImage[], LoadErrorCode>> {
  if (files.has('manifest.json')) {
    const manifest = await readMetadata(files, 'manifest.json');
    if (!manifest.ok) return manifest;
    if (!Array.isArray(manifest.value)) return fail('ARCHIVE_IMAGE_INVALID', 'invalid archive: manifest.json is not a list of images');
    return ok(
      (manifest.value as DockerArchiveManifestEntry[]).map((entry) => ({
        configPath: entry.Config,
        layerPaths: entry.Layers ?? [],
        tags: entry.RepoTags ?? [],
      })),
    );
  }
  if (files.has('index.json')) return describeOciLayout(files);
  return fail('ARCHIVE_IMAGE_INVALID', 'invalid archive: it has neither manifest.json (docker save) nor index.json (OCI layout)');
}

async function describeOciLayout(files: ArchiveFiles): Promise<Result<ArchivedImage[], LoadErrorCode>> {
  const index = await readMetadata(files, 'index.json');
  if (!index.ok) return index;
  const images: ArchivedImage[] = [];
  for (const descriptor of (index.value as OciIndexFile).manifests ?? []) {
    const name = descriptor.annotations?.[containerdImageNameAnnotation] ?? descriptor.annotations?.[ociRefNameAnnotation];
    let target = descriptor;
    if (descriptor.mediaType === MediaType.ociIndex || descriptor.mediaType === MediaType.dockerManifestList) {
      const nested = await readBlobJson<ImageIndex>(files, descriptor.digest);
      if (!nested.ok) return nested;
      const amd64 = selectManifest(nested.value.manifests, linuxAmd64);
      if (!amd64) return fail('ARCHIVE_IMAGE_INVALID', `no matching manifest for ${formatPlatform(linuxAmd64)} in the manifest list entries`);
      target = amd64;
    }
    const manifest = await readBlobJson<ImageManifest>(files, target.digest);
    if (!manifest.ok) return manifest;
    const configPath = blobName(manifest.value.config.digest);
    const layerPaths = manifest.value.layers.map((layer) => blobName(layer.digest));
    if (configPath === null || layerPaths.includes(null)) return fail('ARCHIVE_IMAGE_INVALID', `invalid archive: manifest ${target.digest} has an invalid digest`);
    images.push({
      configPath,
      layerPaths: layerPaths as string[],
      layerDigests: manifest.value.layers.map((layer) => layer.digest),
      tags: name !== undefined && name.includes(':') ? [name] : [],
      manifest: { digest: target.digest, mediaType: target.mediaType },
    });
  }
  return ok(images);
}

async function readBlobJson<T>(files: ArchiveFiles, digest: string): Promise<Result<T, LoadErrorCode>> {
  const name = blobName(digest);
  if (name === null) return fail('ARCHIVE_IMAGE_INVALID', `invalid archive: invalid digest ${JSON.stringify(digest)}`);
  return (await readMetadata(files, name)) as Result<T, LoadErrorCode>;
}

/** What loading one archive shares across its images. */
interface LoadContext {
  store: ImageStore;
  files: ArchiveFiles;
  /** Archive files already moved into the blob store, with their digests. */
  adopted: Map<string, string>;
  onProgress: ProgressSink;
}

async function loadOne(context: LoadContext, image: ArchivedImage): Promise<Result<LoadedImage, LoadErrorCode>> {
  const { store, files } = context;
  const configPath = files.get(image.configPath);
  if (configPath === undefined) return fail('ARCHIVE_IMAGE_INVALID', `invalid archive: image config ${image.configPath} is missing`);
  const config = await readFile(configPath);
  const parsedConfig = JSON.parse(config.toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
  const diffIds = parsedConfig.rootfs?.diff_ids ?? [];
  if (diffIds.length !== image.layerPaths.length) {
    return fail('ARCHIVE_IMAGE_INVALID', `invalid archive: image config ${image.configPath} lists ${diffIds.length} layers but the archive has ${image.layerPaths.length}`);
  }
  const layers: LayerRef[] = [];
  for (const [index, layerName] of image.layerPaths.entries()) {
    const layer = await loadLayer(context, layerName, diffIds[index]!, image.layerDigests?.[index]);
    if (!layer.ok) return layer;
    layers.push(layer.value);
  }
  const tags: string[] = [];
  for (const tag of image.tags) {
    const parsed = parseReference(tag);
    if (!parsed.ok) return fail('ARCHIVE_IMAGE_INVALID', `invalid archive: image name ${JSON.stringify(tag)}: ${parsed.error.message}`);
    tags.push(fullString(withDefaultTag(parsed.value)));
  }
  const added = await store.addImage({ config, layers, ...(image.manifest ? { manifest: image.manifest } : {}) });
  if (!added.ok) return fail('ARCHIVE_IMAGE_INVALID', `invalid archive: ${added.error.message}`);
  for (const tag of tags) await store.tag(added.value.id, tag);
  return ok({ id: added.value.id, tags });
}

async function loadLayer(
  context: LoadContext,
  layerName: string,
  diffId: string,
  knownDigest: string | undefined,
): Promise<Result<LayerRef, LoadErrorCode>> {
  const { store, files, adopted, onProgress } = context;
  const path = files.get(layerName);
  if (path === undefined) return fail('ARCHIVE_LAYER_INVALID', `invalid archive: layer ${layerName} is missing`);
  const id = shortDigest(diffId);
  onProgress(layerStatusMessage('Loading layer', id));
  // Two images may name one file (a shared layer): it moves into the blob store once.
  let digest = adopted.get(path);
  if (digest === undefined) {
    const blob = knownDigest ? await store.blobs.commit(path, knownDigest) : await store.blobs.adopt(path);
    if (!blob.ok) return fail('ARCHIVE_LAYER_INVALID', `invalid archive: layer ${layerName}: ${blob.error.message}`);
    digest = blob.value;
    adopted.set(path, digest);
  }
  const blobPath = store.blobs.path(digest);
  const compression = await sniffCompression(blobPath);
  const imported = await store.layers.importLayer({ diffId, blobPath, compression });
  if (!imported.ok) return fail('ARCHIVE_LAYER_INVALID', `invalid archive: layer ${layerName}: ${imported.error.message}`);
  onProgress(layerStatusMessage('Loaded layer', id));
  return ok({ diffId, blob: { digest, mediaType: compressionMediaType[compression], size: (await stat(blobPath)).size } });
}
