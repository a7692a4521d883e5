// The reference grammar, assembled from the same pieces and in the same way as
// distribution/reference's regexp.go, so the two can be compared line by line.

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tag = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const identifier = '([a-f0-9]{64})';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = domainNameComponent + '(?:\\.' + domainNameComponent + ')*';
const host = '(?:' + domainName + '|' + ipv6address + ')';
const domainAndPort = host + optionalPort;

const optional = (...res: string[]): string => '(?:' + res.join('') + ')?';
const anyTimes = (...res: string[]): string => '(?:' + res.join('') + ')*';
const capture = (...res: string[]): string => '(' + res.join('') + ')';
const anchored = (...res: string[]): string => '^' + res.join('') + '$';

const pathComponent = alphanumeric + anyTimes(separator + alphanumeric);
const remoteName = pathComponent + anyTimes('/' + pathComponent);
const namePat = optional(domainAndPort + '/') + remoteName;

/** Whole reference: captures name, tag and digest. */
export const referenceRegexp = new RegExp(
  anchored(capture(namePat), optional(':', capture(tag)), optional('@', capture(digestPat))),
);

/** A name split into domain (optional) and path. */
export const anchoredNameRegexp = new RegExp(anchored(optional(capture(domainAndPort), '/'), capture(remoteName)));

/** A bare 64-hex image ID, which must never be taken for a repository name. */
export const anchoredIdentifierRegexp = new RegExp(anchored(identifier));
