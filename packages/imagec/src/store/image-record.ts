import type { ImageConfig } from '../image/image-types';

/** One layer of an image: its content (diffID) and, when the store keeps it, the blob it came in. */
export interface LayerRef {
  diffId: string;
  blob?: { digest: string; mediaType: string; size: number };
}

/** What the store remembers about an image, persisted as `images/sha256/<id hex>.json`. */
export interface ImageRecord {
  /** The image ID: the digest of its config blob. */
  id: string;
  config: ImageConfig;
  /** Lowest first, in the order of `config.rootfs.diff_ids`. */
  layers: LayerRef[];
  /** The manifest it was pulled or loaded by, when there was one. */
  manifest?: { digest: string; mediaType: string };
  /** `name@digest` references (full form) that resolve to this image. */
  repoDigests: string[];
  /** Sum of the layers' uncompressed sizes, what `docker images` shows. */
  size: number;
  /** When this store first got the image. */
  addedAt: string;
}
