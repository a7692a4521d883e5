export * from './result';
export * from './digest';
export * from './reference/image-reference';
export { parseReference } from './reference/parse-reference';
export { familiarFromFull, familiarName, familiarString, fullName, fullString, withDefaultTag } from './reference/format-reference';
// registry
export { RegistryClient, type RegistryClientOptions, type ResolvedImage } from './registry/registry-client';
export type { RegistryErrorCode } from './registry/errors';
export type { BlobProgress, RetryPolicy } from './registry/blob-fetch';
export { type Credentials, decodeAuthField, dockerConfigPath, readDockerCredentials } from './registry/credentials';
export { linuxAmd64, formatPlatform, platformMatches } from './registry/platform';
// image JSON
export * from './image/image-types';
export * from './image/media-types';
// store, layers, pull, archives
export { ImageStore, type DiskUsage, type ImageSummary, type NewImage } from './store/image-store';
export type { ImageRecord, LayerRef } from './store/image-record';
export type { ImageDeleteItem } from './store/remove-image';
export type { LayerInfo } from './layers/layer-store';
export { pullImage, type PulledImage, type PullErrorCode } from './pull/pull-image';
export { loadImageArchive, type LoadedImage } from './archive/load-archive';
export { saveImageArchive } from './archive/save-archive';
export type { DockerArchiveManifestEntry } from './archive/archive-formats';
export * from './progress/json-message';
export { writeFileAtomic } from './store/atomic-file';
