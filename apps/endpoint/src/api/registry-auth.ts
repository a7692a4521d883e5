import { decodeAuthField, type Credentials } from '@vic/imagec';
import { DockerApiError } from './docker-error';

/** The `X-Registry-Auth` header's JSON (Engine API `AuthConfig`). */
interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
}

/**
 * Credentials the docker CLI sends with a pull, base64url-encoded JSON; undefined when it sent
 * none (or `{}`, which it sends when not logged in).
 */
export function credentialsFromHeader(header: string | string[] | undefined): Credentials | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return undefined;
  let config: AuthConfig;
  try {
    config = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as AuthConfig;
  } catch (error) {
    throw new DockerApiError(400, `invalid X-Registry-Auth header: ${(error as Error).message}`);
  }
  if (config.username && config.password !== undefined) return { username: config.username, password: config.password };
  return config.auth ? decodeAuthField(config.auth) : undefined;
}
