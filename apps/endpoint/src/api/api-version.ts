/** The Engine API version vic speaks, and the oldest it accepts (what dockerd 25 advertises). */
export const API_VERSION = '1.45';
export const MIN_API_VERSION = '1.24';
/** What `docker version` shows as the server's version. */
export const ENGINE_VERSION = '25.0.0-vic';

const versionPrefix = /^\/v(\d+\.\d+)(?=\/)/;

/** Splits `/v1.45/images/json` into the version asked for and the route path. */
export function splitVersionPrefix(url: string): { version: string | undefined; path: string } {
  const match = versionPrefix.exec(url);
  return match ? { version: match[1], path: url.slice(match[0].length) } : { version: undefined, path: url };
}

function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/** dockerd's answer to a client asking for a version outside the supported range, or null when it is inside. */
export function versionProblem(version: string): string | null {
  if (compareVersions(version, API_VERSION) > 0) return `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`;
  if (compareVersions(version, MIN_API_VERSION) < 0) return `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`;
  return null;
}
