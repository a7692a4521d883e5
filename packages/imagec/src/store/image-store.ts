import { join } from 'node:path';
import type { ImageConfig } from '../image/image-types';
import { LayerStore, type LayerInfo } from '../layers/layer-store';
import { familiarFromFull, fullString } from '../reference/format-reference';
import { parseReference } from '../reference/parse-reference';
import { fail, ok, type Result } from '../result';
import { BlobStore } from './blob-store';
import { lookupImage, type ImageLookupErrorCode, type ImageMatch } from './image-lookup';
import { ImageMetadata } from './image-metadata';
import type { ImageRecord, LayerRef } from './image-record';
import { removeImageNames, type ImageDeleteItem, type ImageRemoveErrorCode } from './remove-image';

export type AddImageErrorCode = 'INVALID_IMAGE_CONFIG' | 'LAYER_MISSING';
export type TagErrorCode = ImageLookupErrorCode | 'INVALID_TAG';

/** What `GET /images/json` lists for one image. */
export interface ImageSummary {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: string | undefined;
  size: number;
  labels: Record<string, string>;
}

export interface DiskUsage {
  images: number;
  layers: number;
  /** Layer disks the guests mount. */
  layerBytes: number;
  /** Compressed blobs, manifests and configs kept for save and inspect. */
  blobBytes: number;
}

export interface NewImage {
  config: Buffer;
  layers: LayerRef[];
  manifest?: { digest: string; mediaType: string };
  /** Full `name@digest` reference it was pulled by. */
  repoDigest?: string;
  /** Full `name:tag` reference to point at it. */
  tag?: string;
}

/**
 * The image store a VCH keeps: blobs as fetched, one read-only disk per layer, and image records
 * with their names. Layers and blobs are shared by every image that uses them and deleted with
 * the last one.
 */
export class ImageStore {
  private constructor(
    readonly blobs: BlobStore,
    readonly layers: LayerStore,
    private readonly metadata: ImageMetadata,
  ) {}

  static async open(root: string): Promise<ImageStore> {
    const store = new ImageStore(
      await BlobStore.open(join(root, 'blobs')),
      await LayerStore.open(join(root, 'layer-store')),
      await ImageMetadata.open(join(root, 'images')),
    );
    await store.collectGarbage();
    return store;
  }

  /**
   * Drops layers and blobs no image uses: what a pull or load that failed (or was cut short by a
   * crash) brought in before it could name its image. Only at open, when no pull is running.
   */
  private async collectGarbage(): Promise<void> {
    for (const layer of this.layers.list()) {
      if (this.metadata.layerReferences(layer.diffId) === 0) await this.layers.remove(layer.diffId);
    }
    for (const digest of await this.blobs.list()) {
      if (this.metadata.blobReferences(digest) === 0) await this.blobs.remove(digest);
    }
  }

  find(input: string): Result<ImageMatch, ImageLookupErrorCode> {
    return lookupImage(this.metadata, input);
  }

  get(id: string): ImageRecord | undefined {
    return this.metadata.get(id);
  }

  list(): ImageSummary[] {
    return this.metadata.all().map((record) => ({
      id: record.id,
      repoTags: this.metadata.tagsOf(record.id).map(familiarFromFull),
      repoDigests: record.repoDigests.map(familiarFromFull),
      created: record.config.created,
      size: record.size,
      labels: record.config.config?.Labels ?? {},
    }));
  }

  /** The disks a container VM mounts for this image, lowest layer first. */
  layerDisks(record: ImageRecord): LayerInfo[] {
    return record.layers.map((layer) => {
      const info = this.layers.get(layer.diffId);
      if (!info) throw new Error(`image ${record.id} lost its layer ${layer.diffId}`);
      return info;
    });
  }

  /**
   * Records an image whose layers are already in the layer store (a pull or load brought them),
   * then names it. Checks that the config's diff_ids are exactly the layers given.
   */
  async addImage(image: NewImage): Promise<Result<ImageRecord, AddImageErrorCode>> {
    const config = parseImageConfig(image.config);
    if (!config.ok) return config;
    const diffIds = config.value.rootfs.diff_ids;
    if (diffIds.length !== image.layers.length || diffIds.some((diffId, index) => image.layers[index]?.diffId !== diffId)) {
      return fail('INVALID_IMAGE_CONFIG', `image config lists ${diffIds.length} layers (rootfs.diff_ids) that do not match the ${image.layers.length} layers given`);
    }
    let size = 0;
    for (const layer of image.layers) {
      const info = this.layers.get(layer.diffId);
      if (!info) return fail('LAYER_MISSING', `layer ${layer.diffId} is not in the layer store`);
      size += info.contentBytes;
    }
    const id = await this.blobs.put(image.config);
    const existing = this.metadata.get(id);
    const repoDigests = [...new Set([...(existing?.repoDigests ?? []), ...(image.repoDigest ? [image.repoDigest] : [])])];
    const manifest = image.manifest ?? existing?.manifest;
    const record: ImageRecord = {
      id,
      config: config.value,
      layers: image.layers,
      ...(manifest ? { manifest } : {}),
      repoDigests,
      size,
      addedAt: existing?.addedAt ?? new Date().toISOString(),
    };
    await this.metadata.put(record);
    if (image.tag) await this.metadata.tag(image.tag, id);
    return ok(record);
  }

  /** `docker tag`: names an existing image; the new name may not carry a digest. */
  async tag(source: string, target: string): Promise<Result<void, TagErrorCode>> {
    const match = this.find(source);
    if (!match.ok) return match;
    const parsed = parseReference(target);
    if (!parsed.ok) return fail('INVALID_TAG', parsed.error.message);
    if (parsed.value.digest !== undefined) return fail('INVALID_TAG', 'refusing to create a tag with a digest reference');
    await this.metadata.tag(fullString({ ...parsed.value, tag: parsed.value.tag ?? 'latest' }), match.value.record.id);
    return ok(undefined);
  }

  /** `docker rmi`: untags, and deletes the image with every layer and blob no other image uses. */
  async remove(input: string, options: { force?: boolean } = {}): Promise<Result<ImageDeleteItem[], ImageRemoveErrorCode>> {
    const match = this.find(input);
    if (!match.ok) return match;
    const plan = await removeImageNames(this.metadata, match.value, options.force ?? false);
    if (!plan.ok) return plan;
    const doomed = plan.value.deleteImage;
    if (doomed) {
      await this.metadata.remove(doomed.id);
      for (const layer of doomed.layers) {
        if (this.metadata.layerReferences(layer.diffId) === 0) await this.layers.remove(layer.diffId);
      }
      const blobs = [doomed.id, doomed.manifest?.digest, ...doomed.layers.map((layer) => layer.blob?.digest)];
      for (const digest of blobs) {
        if (digest !== undefined && this.metadata.blobReferences(digest) === 0) await this.blobs.remove(digest);
      }
    }
    return ok(plan.value.items);
  }

  async diskUsage(): Promise<DiskUsage> {
    const blobDigests = new Set(this.metadata.all().flatMap((record) => [record.id, record.manifest?.digest, ...record.layers.map((layer) => layer.blob?.digest)]));
    let blobBytes = 0;
    for (const digest of blobDigests) if (digest !== undefined) blobBytes += (await this.blobs.size(digest)) ?? 0;
    return {
      images: this.metadata.all().length,
      layers: this.layers.list().length,
      layerBytes: this.layers.diskUsage(),
      blobBytes,
    };
  }
}


/** Validates the parts of an image config the store relies on. */
export function parseImageConfig(bytes: Buffer): Result<ImageConfig, 'INVALID_IMAGE_CONFIG'> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return fail('INVALID_IMAGE_CONFIG', `image config is not JSON: ${(error as Error).message}`);
  }
  const config = value as Partial<ImageConfig> | null;
  const diffIds = config?.rootfs?.diff_ids;
  if (typeof config !== 'object' || config === null || !Array.isArray(diffIds) || !diffIds.every((id) => typeof id === 'string')) {
    return fail('INVALID_IMAGE_CONFIG', 'image config has no rootfs.diff_ids');
  }
  if (typeof config.os !== 'string' || typeof config.architecture !== 'string') {
    return fail('INVALID_IMAGE_CONFIG', 'image config has no os/architecture');
  }
  return ok(config as ImageConfig);
}
