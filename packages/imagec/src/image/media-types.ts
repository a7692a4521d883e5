/** The media types vic reads and writes, named once so every module spells them the same way. */
export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1Manifest: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1SignedManifest: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

/** How a layer blob is compressed, from its media type; null when the type is not a layer we can unpack. */
export function layerCompression(mediaType: string): 'none' | 'gzip' | 'zstd' | null {
  switch (mediaType) {
    case MediaType.ociLayerTar:
      return 'none';
    case MediaType.dockerLayerGzip:
    case MediaType.dockerForeignLayerGzip:
    case MediaType.ociLayerGzip:
      return 'gzip';
    case MediaType.ociLayerZstd:
      return 'zstd';
    default:
      return null;
  }
}
