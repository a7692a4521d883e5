import { formatDigest } from '../digest';
import { parseReference } from './parse-reference';
import { defaultDomain, defaultTag, officialRepoPrefix, type ImageReference } from './image-reference';

function suffix(reference: ImageReference): string {
  const tag = reference.tag === undefined ? '' : `:${reference.tag}`;
  const digest = reference.digest === undefined ? '' : `@${formatDigest(reference.digest)}`;
  return tag + digest;
}

/** `docker.io/library/busybox` → `busybox`; other registries keep their domain. */
export function familiarName(reference: ImageReference): string {
  if (reference.domain !== defaultDomain) return fullName(reference);
  const remainder = reference.path.startsWith(officialRepoPrefix)
    ? reference.path.slice(officialRepoPrefix.length)
    : undefined;
  return remainder !== undefined && !remainder.includes('/') ? remainder : reference.path;
}

/** The short form users type, e.g. `busybox:latest` or `quay.io/a/b@sha256:…`. */
export function familiarString(reference: ImageReference): string {
  return familiarName(reference) + suffix(reference);
}

export function fullName(reference: ImageReference): string {
  return reference.domain === '' ? reference.path : `${reference.domain}/${reference.path}`;
}

/** The canonical form, e.g. `docker.io/library/busybox:latest`. */
export function fullString(reference: ImageReference): string {
  return fullName(reference) + suffix(reference);
}

/** distribution/reference `TagNameOnly`: a bare name means `:latest`. */
export function withDefaultTag(reference: ImageReference): ImageReference {
  if (reference.tag !== undefined || reference.digest !== undefined) return reference;
  return { ...reference, tag: defaultTag };
}

/** The familiar form of a stored full reference (`docker.io/library/busybox:latest` → `busybox:latest`). */
export function familiarFromFull(fullReference: string): string {
  const parsed = parseReference(fullReference);
  return parsed.ok ? familiarString(parsed.value) : fullReference;
}
