import { fail, ok, type Result } from './result';

/** A validated content digest, e.g. `sha256:<64 lowercase hex>`. */
export interface Digest {
  algorithm: DigestAlgorithm;
  encoded: string;
}

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

export type DigestErrorCode = 'DIGEST_INVALID_FORMAT' | 'DIGEST_INVALID_LENGTH' | 'DIGEST_UNSUPPORTED';

// Hex length of each algorithm's output; the algorithms Docker registers with go-digest.
const encodedLength: Record<DigestAlgorithm, number> = { sha256: 64, sha384: 96, sha512: 128 };

// go-digest's DigestRegexp: any well-formed algorithm name, before we know whether it is supported.
const anchoredDigestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const anchoredEncodedPattern = /^[a-f0-9]+$/;

function isSupported(algorithm: string): algorithm is DigestAlgorithm {
  return Object.hasOwn(encodedLength, algorithm);
}

/** Parses a digest string with the checks and error texts of go-digest's `Digest.Validate`. */
export function parseDigest(input: string): Result<Digest, DigestErrorCode> {
  const separator = input.indexOf(':');
  if (separator <= 0 || separator + 1 === input.length) {
    return fail('DIGEST_INVALID_FORMAT', 'invalid checksum digest format');
  }
  const algorithm = input.slice(0, separator);
  const encoded = input.slice(separator + 1);
  if (!isSupported(algorithm)) {
    return anchoredDigestPattern.test(input)
      ? fail('DIGEST_UNSUPPORTED', 'unsupported digest algorithm')
      : fail('DIGEST_INVALID_FORMAT', 'invalid checksum digest format');
  }
  if (encoded.length !== encodedLength[algorithm]) {
    return fail('DIGEST_INVALID_LENGTH', 'invalid checksum digest length');
  }
  if (!anchoredEncodedPattern.test(encoded)) {
    return fail('DIGEST_INVALID_FORMAT', 'invalid checksum digest format');
  }
  return ok({ algorithm, encoded });
}

export function formatDigest(digest: Digest): string {
  return `${digest.algorithm}:${digest.encoded}`;
}
