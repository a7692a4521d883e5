import type { Digest } from '../digest';

/** A normalised image reference: `domain/path[:tag][@digest]`. */
export interface ImageReference {
  /** Registry host and optional port; `docker.io` for Docker Hub. */
  domain: string;
  /** Repository path; official Hub images carry the `library/` prefix. */
  path: string;
  tag?: string;
  digest?: Digest;
}

export type ReferenceErrorCode =
  | 'INVALID_REFERENCE_FORMAT'
  | 'NAME_CONTAINS_UPPERCASE'
  | 'NAME_EMPTY'
  | 'NAME_TOO_LONG'
  | 'NAME_IS_IDENTIFIER'
  | 'DIGEST_INVALID_FORMAT'
  | 'DIGEST_INVALID_LENGTH'
  | 'DIGEST_UNSUPPORTED';

export const defaultDomain = 'docker.io';
export const legacyDefaultDomain = 'index.docker.io';
export const officialRepoPrefix = 'library/';
export const defaultTag = 'latest';
export const repositoryNameTotalLengthMax = 255;
