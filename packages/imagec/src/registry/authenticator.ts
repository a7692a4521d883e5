import { fail, ok, type Result } from '../result';
import type { Credentials } from './credentials';
import type { RegistryEndpoint } from './endpoints';
import { parseRegistryErrors, requestErrorMessage, type RegistryErrorCode } from './errors';
import { readBody, type HttpResponse, type Transport } from './transport';
import { parseChallenges, type Challenge } from './www-authenticate';

/** How a request was authorised, so a 401 answer can be explained. */
export type AuthKind = 'anonymous' | 'basic' | 'bearer';

export interface Authorization {
  kind: AuthKind;
  /** The `Authorization` header value; absent when anonymous. */
  header?: string;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

// distribution's token spec: a token without `expires_in` lasts 60 seconds.
const defaultTokenLifetimeSeconds = 60;
// Refresh a little early so a token does not expire between being picked and being checked.
const expiryMarginMs = 5_000;
const tokenResponseLimit = 1024 * 1024;

/**
 * Authorises requests to one registry endpoint the way the docker daemon does: anonymous until
 * the registry answers 401 with a challenge, then Basic with the login's credentials, or a
 * Bearer token fetched from the challenge's realm for `service` and the request's `scope`.
 * Tokens are cached per scope until they expire, and concurrent requests for one scope share
 * one token fetch.
 */
export class Authenticator {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, Promise<Result<CachedToken, RegistryErrorCode>>>();

  constructor(
    private readonly transport: Transport,
    private readonly endpoint: RegistryEndpoint,
    private readonly credentials: Credentials | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Learns the registry's challenge from a 401 answer. Returns false when it brings nothing new
   * (no usable challenge), so the caller knows retrying would be pointless.
   */
  learn(response: HttpResponse): boolean {
    const challenges = parseChallenges(response.headersDistinct['www-authenticate'] ?? []);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm !== undefined);
    const usable = bearer ?? challenges.find((c) => c.scheme === 'basic');
    if (usable === undefined) return false;
    // A bearer 401 repeats the challenge with the scope it wanted and `error="insufficient_scope"`;
    // only another scheme, realm or service is news worth a retry.
    const previous = this.challenge;
    this.challenge = usable;
    return (
      previous === undefined ||
      previous.scheme !== usable.scheme ||
      previous.params.realm !== usable.params.realm ||
      previous.params.service !== usable.params.service
    );
  }

  /** The authorisation to send for `scope` (e.g. `repository:library/busybox:pull`). */
  async authorize(scope: string, requestUrl: string): Promise<Result<Authorization, RegistryErrorCode>> {
    const challenge = this.challenge;
    if (challenge === undefined) return ok({ kind: 'anonymous' });
    if (challenge.scheme === 'basic') {
      if (this.credentials === undefined) {
        return fail('REGISTRY_UNAUTHORIZED', requestErrorMessage(requestUrl, 'no basic auth credentials'));
      }
      return ok({ kind: 'basic', header: basicHeader(this.credentials) });
    }
    const token = await this.token(challenge, scope, requestUrl);
    if (!token.ok) return token;
    return ok({ kind: 'bearer', header: `Bearer ${token.value.token}` });
  }

  private async token(challenge: Challenge, scope: string, requestUrl: string): Promise<Result<CachedToken, RegistryErrorCode>> {
    const cached = this.tokens.get(scope);
    if (cached !== undefined) {
      const settled = await cached;
      if (settled.ok && settled.value.expiresAt - expiryMarginMs > this.now()) return settled;
      if (this.tokens.get(scope) === cached) this.tokens.delete(scope);
      if (!settled.ok) return settled;
      return this.token(challenge, scope, requestUrl);
    }
    const pending = this.fetchToken(challenge, scope, requestUrl);
    this.tokens.set(scope, pending);
    const settled = await pending;
    // A failed fetch is not cached: the next pull may come after `docker login`.
    if (!settled.ok && this.tokens.get(scope) === pending) this.tokens.delete(scope);
    return settled;
  }

  private async fetchToken(challenge: Challenge, scope: string, requestUrl: string): Promise<Result<CachedToken, RegistryErrorCode>> {
    let url: URL;
    try {
      url = new URL(challenge.params.realm ?? '');
    } catch {
      return fail('REGISTRY_REFUSED', requestErrorMessage(requestUrl, `invalid token realm ${JSON.stringify(challenge.params.realm)}`));
    }
    if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
    // A login asks for a token with no scope: it only proves the credentials.
    if (scope !== '') url.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    if (this.credentials !== undefined) {
      url.searchParams.set('account', this.credentials.username);
      headers.authorization = basicHeader(this.credentials);
    }
    const response = await this.transport.get(this.endpoint, url, headers);
    if (!response.ok) return response;
    const body = await readBody(response.value, tokenResponseLimit);
    if (!body.ok) return body;
    const status = response.value.status;
    if (status === 401 || status === 403) {
      return fail('REGISTRY_UNAUTHORIZED', requestErrorMessage(requestUrl, `unauthorized: ${tokenErrorDetail(body.value)}`));
    }
    if (status !== 200) {
      return fail(status >= 500 ? 'REGISTRY_ERROR' : 'REGISTRY_REFUSED', requestErrorMessage(url.href, `token service answered ${status}`));
    }
    return this.parseToken(body.value, url);
  }

  private parseToken(body: Buffer, url: URL): Result<CachedToken, RegistryErrorCode> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return fail('REGISTRY_REFUSED', requestErrorMessage(url.href, 'token service answered with invalid JSON'));
    }
    const { token, access_token: accessToken, expires_in: expiresIn } = (parsed ?? {}) as Record<string, unknown>;
    const value = typeof token === 'string' && token !== '' ? token : accessToken;
    if (typeof value !== 'string' || value === '') {
      return fail('REGISTRY_REFUSED', requestErrorMessage(url.href, 'token service answered without a token'));
    }
    const lifetime = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : defaultTokenLifetimeSeconds;
    return ok({ token: value, expiresAt: this.now() + lifetime * 1000 });
  }
}

function basicHeader(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/**
 * Token services explain a refusal as `{"details": …}` (Docker Hub) or a registry `errors`
 * body; docker shows that text, and says "incorrect username or password" when the service
 * gives none, since that is what a refused login means.
 */
function tokenErrorDetail(body: Buffer): string {
  const errors = parseRegistryErrors(body);
  if (errors[0] !== undefined && errors[0].message !== '') return errors[0].message;
  const details = /^\s*\{/.test(body.toString('utf8')) ? detailsField(body) : undefined;
  return details ?? 'incorrect username or password';
}

function detailsField(body: Buffer): string | undefined {
  try {
    const { details } = JSON.parse(body.toString('utf8')) as { details?: unknown };
    return typeof details === 'string' && details !== '' ? details : undefined;
  } catch {
    // Looked like JSON but is not: there is no explanation to show.
    return undefined;
  }
}
