import type { Descriptor } from '../image/image-types';

/** One image in a `docker save` archive's `manifest.json`. */
export interface DockerArchiveManifestEntry {
  /** Archive path of the image config. */
  Config: string;
  /** Familiar references, e.g. `busybox:latest`; null for an untagged image. */
  RepoTags: string[] | null;
  /** Archive paths of the layer tars, lowest first. */
  Layers: string[];
}

/** `oci-layout` marker file of an OCI image layout. */
export const ociLayoutFile = { imageLayoutVersion: '1.0.0' } as const;

/** Annotation containerd and dockerd put on index.json entries: the image's full reference. */
export const containerdImageNameAnnotation = 'io.containerd.image.name';
/** OCI's annotation: the tag (or full reference) of an index entry. */
export const ociRefNameAnnotation = 'org.opencontainers.image.ref.name';

export interface OciIndexFile {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}
