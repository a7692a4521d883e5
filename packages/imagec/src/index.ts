export * from './result';
export * from './digest';
export * from './reference/image-reference';
export { parseReference } from './reference/parse-reference';
export { familiarName, familiarString, fullName, fullString, withDefaultTag } from './reference/format-reference';
// registry
export { RegistryClient, type RegistryClientOptions, type ResolvedImage } from './registry/registry-client';
export type { RegistryErrorCode } from './registry/errors';
export type { BlobProgress, RetryPolicy } from './registry/blob-fetch';
export { type Credentials, dockerConfigPath, readDockerCredentials } from './registry/credentials';
export { linuxAmd64, formatPlatform, platformMatches } from './registry/platform';
