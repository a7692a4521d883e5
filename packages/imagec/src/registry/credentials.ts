import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { defaultDomain } from '../reference/image-reference';
import { fail, ok, type Result } from '../result';

export interface Credentials {
  username: string;
  password: string;
}

/** Where `docker login` keeps credentials: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG !== undefined && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : join(homedir(), '.docker');
  return join(dir, 'config.json');
}

// `docker login` without a server writes Docker Hub's v1 URL as the key; other tools use the hosts.
const dockerHubAuthKeys = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

/**
 * The `auths` credentials `docker login` stored for `registryHost` (as it appears in an image
 * reference: `docker.io`, `localhost:5000`). A missing file means "no credentials", as for the
 * docker CLI; an unreadable or malformed one is an error, so a typo does not silently pull
 * anonymously. Credential helpers (`credsStore`, `credHelpers`) are external programs and not
 * consulted here.
 */
export async function readDockerCredentials(
  registryHost: string,
  configPath: string = dockerConfigPath(),
): Promise<Result<Credentials | undefined, 'CREDENTIALS_INVALID'>> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ok(undefined);
    return fail('CREDENTIALS_INVALID', `loading config file ${configPath}: ${(error as Error).message}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    return fail('CREDENTIALS_INVALID', `loading config file ${configPath}: ${(error as Error).message}`);
  }
  const auths = typeof config === 'object' && config !== null ? (config as { auths?: unknown }).auths : undefined;
  if (typeof auths !== 'object' || auths === null) return ok(undefined);
  const entry = findAuthEntry(auths as Record<string, unknown>, registryHost);
  if (entry === undefined) return ok(undefined);
  return decodeAuthEntry(entry, configPath, registryHost);
}

/** Keys may be bare hosts or URLs (`https://host/v1/`), as older clients wrote them; Hub has its legacy key. */
function findAuthEntry(auths: Record<string, unknown>, registryHost: string): unknown {
  const wanted = new Set(registryHost === defaultDomain ? dockerHubAuthKeys : [registryHost]);
  for (const [key, entry] of Object.entries(auths)) {
    if (wanted.has(key) || wanted.has(hostOfKey(key))) return entry;
  }
  return undefined;
}

/** docker/cli `ConvertToHostname`: strip the scheme and any path. */
function hostOfKey(key: string): string {
  const withoutScheme = key.replace(/^https?:\/\//, '');
  return withoutScheme.split('/')[0] ?? withoutScheme;
}

function decodeAuthEntry(
  entry: unknown,
  configPath: string,
  registryHost: string,
): Result<Credentials | undefined, 'CREDENTIALS_INVALID'> {
  if (typeof entry !== 'object' || entry === null) return ok(undefined);
  const { auth, username, password } = entry as Record<string, unknown>;
  if (typeof auth === 'string' && auth !== '') {
    const decoded = decodeAuthField(auth);
    if (decoded === undefined) {
      return fail('CREDENTIALS_INVALID', `invalid auth configuration file ${configPath}: auth for ${registryHost} is not base64 "user:password"`);
    }
    return ok(decoded);
  }
  if (typeof username === 'string' && typeof password === 'string' && username !== '') return ok({ username, password });
  return ok(undefined);
}

/** The `auth` field docker writes in its config and sends in `X-Registry-Auth`: base64 of `user:password`. */
export function decodeAuthField(auth: string): Credentials | undefined {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } : undefined;
}
