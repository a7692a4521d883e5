import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { formatDigest, parseDigest } from '../digest';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform } from '../image/image-types';
import { MediaType } from '../image/media-types';
import { familiarName, familiarString, fullString, withDefaultTag } from '../reference/format-reference';
import type { ImageReference } from '../reference/image-reference';
import { fail, ok, type Result } from '../result';
import { Authenticator, type AuthKind } from './authenticator';
import { defaultRetryPolicy, downloadBlob, type BlobProgress, type RetryPolicy } from './blob-fetch';
import { dockerConfigPath, readDockerCredentials, type Credentials } from './credentials';
import { defaultDownloadConcurrency, DownloadPool } from './download-pool';
import { registryEndpoints, type EndpointOptions, type RegistryEndpoint } from './endpoints';
import { requestErrorMessage, type RegistryErrorCode } from './errors';
import { manifestAcceptHeader, parseManifestDocument } from './manifest-document';
import { formatPlatform, linuxAmd64, platformMatches, selectManifest } from './platform';
import { responseFailure, unauthorizedFailure, type RequestSubject } from './response-errors';
import { defaultTimeouts, readBody, Transport, type HttpResponse, type TransportTimeouts } from './transport';

export interface RegistryClientOptions extends EndpointOptions {
  /** Credentials per registry host (`docker.io`, `localhost:5000`); they win over `docker login`'s. */
  credentials?: Readonly<Record<string, Credentials>>;
  /** The docker CLI config holding `docker login` credentials; `$DOCKER_CONFIG` or `~/.docker` by default. */
  dockerConfigPath?: string;
  /** Blob downloads running at once across all pulls (dockerd's `max-concurrent-downloads`). */
  maxConcurrentDownloads?: number;
  timeouts?: TransportTimeouts;
  retry?: RetryPolicy;
}

/** An image resolved to the manifest and config for one platform. */
export interface ResolvedImage {
  /** Digest of what the reference names (the index for multi-arch images): docker's `Digest:` line. */
  digest: string;
  /** The index as served, when the reference named one. */
  index?: { mediaType: string; bytes: Buffer; index: ImageIndex };
  manifestDigest: string;
  manifestMediaType: string;
  manifestBytes: Buffer;
  manifest: ImageManifest;
  /** The config blob as served; its digest (`manifest.config.digest`) is the image ID. */
  configBytes: Buffer;
  config: ImageConfig;
  platform: Platform;
}

interface Session {
  endpoint: RegistryEndpoint;
  auth: Authenticator;
}

interface RequestContext {
  session: Session;
  reference: ImageReference;
  subject: RequestSubject;
}

// Bounds for bodies held in memory; containerd refuses manifests over 4 MiB too.
const manifestLimit = 4 * 1024 * 1024;
const configLimit = 8 * 1024 * 1024;
const errorBodyLimit = 64 * 1024;

/**
 * A Docker Registry HTTP API v2 client for pulling: finds each registry's endpoint, authenticates
 * as dockerd does, resolves references to verified manifests and configs, and downloads verified
 * blobs through a shared pool. Owns its sockets; call `close()` when done.
 */
export class RegistryClient {
  private readonly transport: Transport;
  private readonly pool: DownloadPool;
  private readonly sessions = new Map<string, Promise<Result<Session, RegistryErrorCode>>>();

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.transport = new Transport(options.timeouts ?? defaultTimeouts);
    this.pool = new DownloadPool(options.maxConcurrentDownloads ?? defaultDownloadConcurrency);
  }

  /** Resolves `reference` (a bare name means `:latest`) to the image for `platform`, every byte verified. */
  async resolve(reference: ImageReference, platform: Platform = linuxAmd64): Promise<Result<ResolvedImage, RegistryErrorCode>> {
    const context = await this.context(withDefaultTag(reference));
    if (!context.ok) return context;
    const target = reference.digest === undefined ? (context.value.reference.tag ?? '') : formatDigest(reference.digest);
    const top = await this.fetchManifest(context.value, target, reference.digest === undefined ? undefined : target);
    if (!top.ok) return top;
    let index: ResolvedImage['index'];
    let image = top.value;
    if (top.value.document.kind === 'index') {
      index = { mediaType: top.value.document.mediaType, bytes: top.value.bytes, index: top.value.document.index };
      const entry = selectManifest(top.value.document.index.manifests, platform);
      if (entry === undefined) {
        return fail('NO_MATCHING_PLATFORM', `no matching manifest for ${formatPlatform(platform)} in the manifest list entries`);
      }
      const child = await this.fetchManifest(context.value, entry.digest, entry.digest);
      if (!child.ok) return child;
      image = child.value;
    }
    if (image.document.kind !== 'image') {
      return fail('MANIFEST_INVALID', `invalid manifest for ${fullString(context.value.reference)}: an index entry is itself an index`);
    }
    const manifest = image.document.manifest;
    const config = await this.fetchConfig(context.value, manifest, platform, index === undefined);
    if (!config.ok) return config;
    return ok({
      digest: top.value.digest,
      ...(index === undefined ? {} : { index }),
      manifestDigest: image.digest,
      manifestMediaType: image.document.mediaType,
      manifestBytes: image.bytes,
      manifest,
      configBytes: config.value.bytes,
      config: config.value.config,
      platform: platformOf(config.value.config),
    });
  }

  /**
   * Downloads the blob `descriptor` names from `reference`'s repository into the file at `path`
   * (created or truncated), resolving once the file is complete and matches the digest; after a
   * failure its content is unspecified and the caller removes it. The caller owns the file
   * either way, so `path` should be on the blob store's file system and committing is a rename.
   * Concurrent requests for one digest share one download (each still gets its own file, a hard
   * link made before anyone is told), and at most `maxConcurrentDownloads` downloads run at once.
   * `onProgress(bytesDone, total)` follows the bytes on disk; it goes back to 0 if the download
   * has to start over.
   */
  async fetchBlob(
    reference: ImageReference,
    descriptor: Descriptor,
    path: string,
    onProgress: BlobProgress = () => {},
  ): Promise<Result<void, RegistryErrorCode>> {
    const context = await this.context(reference);
    if (!context.ok) return context;
    const url = this.blobUrl(context.value, descriptor.digest);
    const openBlob = async (offset: number): Promise<Result<HttpResponse, RegistryErrorCode>> => {
      const response = await this.authorizedGet(context.value, url, offset > 0 ? { range: `bytes=${offset}-` } : {});
      if (!response.ok) return response;
      if (response.value.status === 200 || response.value.status === 206) return response;
      return this.failure(context.value, response.value, 'blob');
    };
    return this.pool.fetch(descriptor.digest, path, onProgress, (target, progress) =>
      downloadBlob(openBlob, descriptor, target, progress, this.options.retry ?? defaultRetryPolicy),
    );
  }

  /**
   * `docker login`: checks `credentials` against `host` as dockerd does. GET /v2/; when challenged,
   * again with Basic credentials, or with a token the token service grants them for no scope.
   */
  async login(host: string, credentials: Credentials): Promise<Result<void, RegistryErrorCode>> {
    const session = await this.openSessionWith(host, credentials);
    if (!session.ok) return session;
    const { endpoint, auth } = session.value;
    const url = new URL('/v2/', endpoint.origin);
    const authorization = await auth.authorize('', url.href);
    if (!authorization.ok) return authorization;
    // A registry that let /v2/ through anonymously has nothing to check.
    if (authorization.value.header === undefined) return ok(undefined);
    const answer = await this.transport.get(endpoint, url, { authorization: authorization.value.header });
    if (!answer.ok) return answer;
    answer.value.body.resume();
    if (answer.value.status === 200) return ok(undefined);
    return fail('REGISTRY_UNAUTHORIZED', `login attempt to ${url.href} failed with status: ${answer.value.status} ${STATUS_CODES[answer.value.status] ?? ''}`.trimEnd());
  }

  /** Destroys every socket the client holds; requests in flight fail. */
  close(): void {
    this.transport.close();
  }

  private async context(reference: ImageReference): Promise<Result<RequestContext, RegistryErrorCode>> {
    const session = await this.session(reference.domain);
    if (!session.ok) return session;
    return ok({ session: session.value, reference, subject: { familiarName: familiarName(reference), familiarString: familiarString(reference) } });
  }

  private session(host: string): Promise<Result<Session, RegistryErrorCode>> {
    let session = this.sessions.get(host);
    if (session === undefined) {
      session = this.openSession(host);
      this.sessions.set(host, session);
      // A failed session is forgotten: the registry may be up, or the login fixed, next time.
      void session.then((result) => {
        if (!result.ok && this.sessions.get(host) === session) this.sessions.delete(host);
      });
    }
    return session;
  }

  /** A session with the credentials given for `host`, or those `docker login` stored. */
  private async openSession(host: string): Promise<Result<Session, RegistryErrorCode>> {
    const credentials = await this.credentialsFor(host);
    if (!credentials.ok) return credentials;
    return this.openSessionWith(host, credentials.value);
  }

  /** dockerd's endpoint loop: the first endpoint whose `/v2/` answers wins; its 401 tells how to authenticate. */
  private async openSessionWith(host: string, credentials: Credentials | undefined): Promise<Result<Session, RegistryErrorCode>> {
    let endpoints: RegistryEndpoint[];
    try {
      endpoints = await registryEndpoints(host, this.options);
    } catch (error) {
      return fail('IO', `reading certificates for ${host}: ${(error as Error).message}`);
    }
    let lastFailure: Result<never, RegistryErrorCode> = fail('REGISTRY_UNREACHABLE', `no endpoint for ${host}`);
    for (const endpoint of endpoints) {
      const url = new URL('/v2/', endpoint.origin);
      const response = await this.transport.get(endpoint, url, {});
      if (!response.ok) {
        lastFailure = response;
        continue;
      }
      const auth = new Authenticator(this.transport, endpoint, credentials);
      const status = response.value.status;
      if (status === 401) auth.learn(response.value);
      response.value.body.resume();
      if (status !== 200 && status !== 401) {
        const code = status >= 500 ? 'REGISTRY_ERROR' : 'REGISTRY_REFUSED';
        lastFailure = fail(code, requestErrorMessage(url.href, `received unexpected HTTP status: ${status}`));
        continue;
      }
      return ok({ endpoint, auth });
    }
    return lastFailure;
  }

  private async credentialsFor(host: string): Promise<Result<Credentials | undefined, RegistryErrorCode>> {
    const explicit = this.options.credentials?.[host];
    if (explicit !== undefined) return ok(explicit);
    return readDockerCredentials(host, this.options.dockerConfigPath ?? dockerConfigPath());
  }

  /**
   * GETs `url` with the authorisation for the repository's pull scope. A 401 that teaches a new
   * challenge (a registry that let `/v2/` through anonymously) is retried once with it; a 401
   * after that is explained as docker explains it.
   */
  private async authorizedGet(context: RequestContext, url: URL, headers: Record<string, string>): Promise<Result<HttpResponse, RegistryErrorCode>> {
    const scope = `repository:${context.reference.path}:pull`;
    for (let attempt = 1; ; attempt++) {
      const authorization = await context.session.auth.authorize(scope, url.href);
      if (!authorization.ok) return authorization;
      const sent = authorization.value.header === undefined ? headers : { ...headers, authorization: authorization.value.header };
      const response = await this.transport.get(context.session.endpoint, url, sent);
      if (!response.ok || response.value.status !== 401) return response;
      const learned = context.session.auth.learn(response.value);
      const body = await readBody(response.value, errorBodyLimit);
      if (attempt === 1 && learned) continue;
      return this.unauthorized(authorization.value.kind, url, body.ok ? body.value : Buffer.alloc(0), context.subject);
    }
  }

  private unauthorized(kind: AuthKind, url: URL, body: Buffer, subject: RequestSubject): Result<never, RegistryErrorCode> {
    return { ok: false, error: unauthorizedFailure(kind, url.href, body, subject) };
  }

  private async failure(context: RequestContext, response: HttpResponse, notFound: 'manifest' | 'blob'): Promise<Result<never, RegistryErrorCode>> {
    const body = await readBody(response, errorBodyLimit);
    return responseFailure(response.status, response.url.href, body.ok ? body.value : Buffer.alloc(0), context.subject, notFound);
  }

  /**
   * GETs a manifest by tag or digest and checks its bytes: against `expectedDigest` when pulling
   * by digest, else against the registry's `Docker-Content-Digest`; the digest returned is the
   * one the bytes hash to.
   */
  private async fetchManifest(context: RequestContext, target: string, expectedDigest: string | undefined) {
    const url = new URL(`/v2/${context.reference.path}/manifests/${target}`, context.session.endpoint.origin);
    const response = await this.authorizedGet(context, url, { accept: manifestAcceptHeader });
    if (!response.ok) return response;
    if (response.value.status !== 200) return this.failure(context, response.value, 'manifest');
    const body = await readBody(response.value, manifestLimit);
    if (!body.ok) return body;
    const claimed = expectedDigest ?? firstHeader(response.value.headers['docker-content-digest']);
    const digest = digestOf(body.value, claimed);
    if (claimed !== undefined && digest !== claimed) {
      return fail('DIGEST_MISMATCH', `manifest verification failed for digest ${claimed}`);
    }
    const document = parseManifestDocument(body.value, response.value.headers['content-type'], fullString(context.reference));
    if (!document.ok) return document;
    return ok({ digest, bytes: body.value, document: document.value });
  }

  private async fetchConfig(context: RequestContext, manifest: ImageManifest, platform: Platform, checkPlatform: boolean) {
    const descriptor = manifest.config;
    const name = fullString(context.reference);
    if (descriptor.mediaType !== MediaType.dockerConfig && descriptor.mediaType !== MediaType.ociConfig) {
      return fail('MANIFEST_UNSUPPORTED', `${name} is not a container image: its config has media type ${descriptor.mediaType}`);
    }
    if (descriptor.size > configLimit) {
      return fail('MANIFEST_INVALID', `image config of ${name} is ${descriptor.size} bytes, over the ${configLimit} byte limit`);
    }
    const url = this.blobUrl(context, descriptor.digest);
    const response = await this.authorizedGet(context, url, {});
    if (!response.ok) return response;
    if (response.value.status !== 200) return this.failure(context, response.value, 'blob');
    const body = await readBody(response.value, descriptor.size);
    if (!body.ok) return fail('DIGEST_MISMATCH', `image config verification failed for digest ${descriptor.digest}`);
    if (digestOf(body.value, descriptor.digest) !== descriptor.digest) {
      return fail('DIGEST_MISMATCH', `image config verification failed for digest ${descriptor.digest}`);
    }
    const config = parseConfig(body.value, manifest, name);
    if (!config.ok) return config;
    const actual = platformOf(config.value);
    if (checkPlatform && !platformMatches(platform, actual)) {
      const mismatch = `its platform (${formatPlatform(actual)}) does not match the specified platform (${formatPlatform(platform)})`;
      return fail('NO_MATCHING_PLATFORM', `image with reference ${context.subject.familiarString} was found but ${mismatch}`);
    }
    return ok({ bytes: body.value, config: config.value });
  }

  private blobUrl(context: RequestContext, digest: string): URL {
    return new URL(`/v2/${context.reference.path}/blobs/${digest}`, context.session.endpoint.origin);
  }
}

function platformOf(config: ImageConfig): Platform {
  const { os, architecture, variant } = config;
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The digest of `bytes` in the algorithm of `like` (sha256 when absent or unsupported). */
function digestOf(bytes: Buffer, like: string | undefined): string {
  const parsed = like === undefined ? undefined : parseDigest(like);
  const algorithm = parsed?.ok === true ? parsed.value.algorithm : 'sha256';
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** The config fields a pull relies on; moby refuses an image whose layers and diff_ids disagree. */
function parseConfig(bytes: Buffer, manifest: ImageManifest, reference: string): Result<ImageConfig, RegistryErrorCode> {
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return fail('MANIFEST_INVALID', `invalid image config for ${reference}: ${(error as Error).message}`);
  }
  const candidate = config as Partial<ImageConfig> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.os !== 'string' || typeof candidate.architecture !== 'string') {
    return fail('MANIFEST_INVALID', `invalid image config for ${reference}: os and architecture are required`);
  }
  const diffIds = candidate.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.some((id) => typeof id !== 'string' || !parseDigest(id).ok)) {
    return fail('MANIFEST_INVALID', `invalid image config for ${reference}: rootfs.diff_ids must be a list of digests`);
  }
  if (diffIds.length !== manifest.layers.length) {
    return fail('MANIFEST_INVALID', `invalid image config for ${reference}: layers from manifest don't match image configuration`);
  }
  return ok(candidate as ImageConfig);
}
