import { parseDigest } from '../digest';
import { familiarString, fullString, withDefaultTag } from '../reference/format-reference';
import type { ImageReference } from '../reference/image-reference';
import { parseReference } from '../reference/parse-reference';
import { fail, ok, type Result } from '../result';
import type { ImageMetadata } from './image-metadata';
import type { ImageRecord } from './image-record';

export type ImageLookupErrorCode = 'NO_SUCH_IMAGE' | 'INVALID_REFERENCE';

/** An image found by what the user typed, and how it was named: removal treats names and IDs differently. */
export interface ImageMatch {
  record: ImageRecord;
  /** The tag or digest reference that named it; absent when the input was an ID or ID prefix. */
  reference?: ImageReference;
}

const fullIdPattern = /^[a-f0-9]{64}$/;
const idPrefixPattern = /^(?:sha256:)?([a-f0-9]{1,64})$/;

/**
 * Finds an image the way dockerd's `GetImage` does: a full ID or `sha256:` digest, then a tag or
 * digest reference, then a unique ID prefix; anything else is `No such image: <ref>`.
 */
export function lookupImage(metadata: ImageMetadata, input: string): Result<ImageMatch, ImageLookupErrorCode> {
  if (fullIdPattern.test(input) || parseDigest(input).ok) {
    const id = input.includes(':') ? input : `sha256:${input}`;
    const record = metadata.get(id);
    return record ? ok({ record }) : fail('NO_SUCH_IMAGE', `No such image: ${id}`);
  }
  const parsed = parseReference(input);
  if (!parsed.ok) {
    const byPrefix = findByIdPrefix(metadata, input);
    return byPrefix ? ok({ record: byPrefix }) : fail('INVALID_REFERENCE', parsed.error.message);
  }
  const reference = withDefaultTag(parsed.value);
  const byReference = findByReference(metadata, reference);
  if (byReference) return ok({ record: byReference, reference });
  const byPrefix = findByIdPrefix(metadata, input);
  if (byPrefix) return ok({ record: byPrefix });
  return fail('NO_SUCH_IMAGE', `No such image: ${familiarString(reference)}`);
}

function findByReference(metadata: ImageMetadata, reference: ImageReference): ImageRecord | undefined {
  if (reference.digest === undefined) {
    const id = metadata.tagTarget(fullString(reference));
    return id === undefined ? undefined : metadata.get(id);
  }
  const wanted = fullString({ ...reference, tag: undefined });
  return metadata.all().find((record) => record.repoDigests.includes(wanted));
}

function findByIdPrefix(metadata: ImageMetadata, input: string): ImageRecord | undefined {
  const prefix = idPrefixPattern.exec(input)?.[1];
  if (prefix === undefined) return undefined;
  const matches = metadata.all().filter((record) => record.id.startsWith(`sha256:${prefix}`));
  return matches.length === 1 ? matches[0] : undefined;
}
