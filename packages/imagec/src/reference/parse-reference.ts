import { parseDigest } from '../digest';
import { fail, ok, type Result } from '../result';
import { anchoredIdentifierRegexp, anchoredNameRegexp, referenceRegexp } from './grammar';
import {
  defaultDomain,
  legacyDefaultDomain,
  officialRepoPrefix,
  repositoryNameTotalLengthMax,
  type ImageReference,
  type ReferenceErrorCode,
} from './image-reference';

/**
 * Parses a reference as the docker CLI does (distribution/reference `ParseNormalizedNamed`):
 * `busybox` becomes `docker.io/library/busybox`, with the same error texts.
 */
export function parseReference(input: string): Result<ImageReference, ReferenceErrorCode> {
  if (anchoredIdentifierRegexp.test(input)) {
    return fail(
      'NAME_IS_IDENTIFIER',
      `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`,
    );
  }
  const { domain, remainder } = splitDockerDomain(input);
  const tagSeparator = remainder.indexOf(':');
  const remote = tagSeparator > -1 ? remainder.slice(0, tagSeparator) : remainder;
  if (remote.toLowerCase() !== remote) {
    return fail(
      'NAME_CONTAINS_UPPERCASE',
      `invalid reference format: repository name (${remote}) must be lowercase`,
    );
  }
  return parseCanonical(domain + '/' + remainder);
}

/** distribution/reference `Parse`: a full reference, no defaults applied. */
function parseCanonical(input: string): Result<ImageReference, ReferenceErrorCode> {
  if (input === '') {
    return fail('NAME_EMPTY', 'repository name must have at least one component');
  }
  const matches = referenceRegexp.exec(input);
  if (matches === null) {
    const lower = input.toLowerCase();
    if (lower !== input && referenceRegexp.test(lower)) {
      return fail('NAME_CONTAINS_UPPERCASE', 'repository name must be lowercase');
    }
    return fail('INVALID_REFERENCE_FORMAT', 'invalid reference format');
  }
  const [, name = '', tag, digestText] = matches;
  const nameMatch = anchoredNameRegexp.exec(name);
  const domain = nameMatch?.[1] ?? '';
  const path = nameMatch?.[2] ?? name;
  if (path.length > repositoryNameTotalLengthMax) {
    return fail('NAME_TOO_LONG', `repository name must not be more than ${repositoryNameTotalLengthMax} characters`);
  }
  const reference: ImageReference = { domain, path };
  if (tag !== undefined && tag !== '') reference.tag = tag;
  if (digestText !== undefined && digestText !== '') {
    const digest = parseDigest(digestText);
    if (!digest.ok) return digest;
    reference.digest = digest.value;
  }
  return ok(reference);
}

/** distribution/reference `splitDockerDomain`: decides whether the first component is a registry. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash === -1) {
    return { domain: defaultDomain, remainder: officialRepoPrefix + name };
  }
  const maybeDomain = name.slice(0, slash);
  const maybeRemainder = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === legacyDefaultDomain) {
    [domain, remainder] = [defaultDomain, maybeRemainder];
  } else if (
    maybeDomain === 'localhost' ||
    /[.:]/.test(maybeDomain) ||
    maybeDomain.toLowerCase() !== maybeDomain
  ) {
    [domain, remainder] = [maybeDomain, maybeRemainder];
  } else {
    [domain, remainder] = [defaultDomain, name];
  }
  if (domain === defaultDomain && !remainder.includes('/')) {
    remainder = officialRepoPrefix + remainder;
  }
  return { domain, remainder };
}
