import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference, type ImageReference } from '../src/index';
import type { Descriptor } from '../src/image/image-types';
import { MediaType } from '../src/image/media-types';
import { Authenticator } from '../src/registry/authenticator';
import { registryEndpoints, type RegistryEndpoint } from '../src/registry/endpoints';
import { RegistryClient, type RegistryClientOptions } from '../src/registry/registry-client';
import { Transport } from '../src/registry/transport';
import type { Result } from '../src/result';

/*
 * Real registries (Debian's docker-registry, distribution 2.8) on 127.0.0.1, one per auth mode,
 * a real token service for bearer auth and a fault-injecting HTTP proxy in front of the
 * anonymous one. Nothing is mocked. The harness at the end of this file stands in until the
 * shared test/support/registry lands.
 */

const fastRetry = { maxAttempts: 5, firstDelayMs: 10, maxDelayMs: 50 };

let work: string;
let anonymous: TestRegistry;
let basic: TestRegistry;
let bearer: TestRegistry;
let tls: TestRegistry;
let tokens: TokenService;
let proxy: FaultProxy;
let image: PushedImage;
const clients: RegistryClient[] = [];

function client(options: RegistryClientOptions = {}): RegistryClient {
  const created = new RegistryClient({ certsDir: join(work, 'no-certs'), dockerConfigPath: join(work, 'no-docker-config.json'), retry: fastRetry, ...options });
  clients.push(created);
  return created;
}

function ref(text: string): ImageReference {
  const parsed = parseReference(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

function failureOf<T>(result: Result<T>): string {
  if (result.ok) throw new Error('expected a failure, got success');
  return result.error.message;
}

function valueOf<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected success, got: ${result.error.message}`);
  return result.value;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vic-registry-test-'));
  tokens = await startTokenService(work);
  [anonymous, basic, bearer, tls] = await Promise.all([
    startRegistry(work, 'anonymous'),
    startRegistry(work, 'basic'),
    startRegistry(work, 'bearer', tokens),
    startRegistry(work, 'tls'),
  ]);
  proxy = await startFaultProxy(anonymous.url);
  image = await pushImage(anonymous, 'app', 'v1', { layers: [300_000, 200_000, 1_000] });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all([anonymous, basic, bearer, tls].map((r) => r?.stop()));
  await proxy?.stop();
  await tokens?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('resolving an image on an anonymous registry', () => {
  it('by tag: the manifest, its digest and the config, all verified', async () => {
    const resolved = valueOf(await client({ insecureRegistries: [anonymous.host] }).resolve(ref(`${anonymous.host}/app:v1`)));
    expect(resolved.digest).toBe(image.manifestDigest);
    expect(resolved.manifestDigest).toBe(image.manifestDigest);
    expect(resolved.manifestBytes.equals(image.manifestBytes)).toBe(true);
    expect(resolved.configBytes.equals(image.configBytes)).toBe(true);
    expect(resolved.manifest.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
    expect(resolved.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(resolved.index).toBeUndefined();
  });

  it('by digest', async () => {
    const resolved = valueOf(await client({ insecureRegistries: [anonymous.host] }).resolve(ref(`${anonymous.host}/app@${image.manifestDigest}`)));
    expect(resolved.manifestDigest).toBe(image.manifestDigest);
  });

  it.each(['docker', 'oci'] as const)('from a multi-arch %s index, the linux/amd64 entry, with the index digest as the image digest', async (format) => {
    const repo = `multi-${format}`;
    const arm = await pushImage(anonymous, repo, 'arm64-child', { layers: [100], architecture: 'arm64', format });
    const amd = await pushImage(anonymous, repo, 'amd64-child', { layers: [100], format });
    const index = await pushIndex(
      anonymous,
      repo,
      'latest',
      [
        { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
      ],
      format,
    );
    const resolved = valueOf(await client({ insecureRegistries: [anonymous.host] }).resolve(ref(`${anonymous.host}/${repo}`)));
    expect(resolved.digest).toBe(index.digest);
    expect(resolved.index?.index.manifests).toHaveLength(2);
    expect(resolved.manifestDigest).toBe(amd.manifestDigest);
    expect(resolved.manifestMediaType).toBe(format === 'oci' ? MediaType.ociManifest : MediaType.dockerManifest);
    expect(resolved.platform.architecture).toBe('amd64');
  });

  it('from an arm64-only index, the error docker gives', async () => {
    const arm = await pushImage(anonymous, 'armonly', 'child', { layers: [100], architecture: 'arm64' });
    await pushIndex(anonymous, 'armonly', 'latest', [{ image: arm, platform: { os: 'linux', architecture: 'arm64' } }]);
    const result = await client({ insecureRegistries: [anonymous.host] }).resolve(ref(`${anonymous.host}/armonly`));
    expect(failureOf(result)).toBe('no matching manifest for linux/amd64 in the manifest list entries');
  });

  it('a single-platform image for another architecture is refused, since every container is an amd64 VM', async () => {
    await pushImage(anonymous, 'armsingle', 'v1', { layers: [100], architecture: 'arm64' });
    const result = await client({ insecureRegistries: [anonymous.host] }).resolve(ref(`${anonymous.host}/armsingle:v1`));
    expect(failureOf(result)).toBe(
      `image with reference ${anonymous.host}/armsingle:v1 was found but its platform (linux/arm64) does not match the specified platform (linux/amd64)`,
    );
  });

  it('an unknown tag or repository fails with docker\'s not-found wording', async () => {
    const c = client({ insecureRegistries: [anonymous.host] });
    expect(failureOf(await c.resolve(ref(`${anonymous.host}/app:nope`)))).toBe(
      `manifest for ${anonymous.host}/app:nope not found: manifest unknown: manifest unknown`,
    );
    // distribution answers MANIFEST_UNKNOWN for a repository it never saw, so docker says the same.
    expect(failureOf(await c.resolve(ref(`${anonymous.host}/never-pushed`)))).toBe(
      `manifest for ${anonymous.host}/never-pushed:latest not found: manifest unknown: manifest unknown`,
    );
  });

  it('a blob the registry does not have fails with its errors body', async () => {
    const missing: Descriptor = { mediaType: MediaType.dockerLayerGzip, size: 1, digest: `sha256:${'d'.repeat(64)}` };
    const result = await client({ insecureRegistries: [anonymous.host] }).fetchBlob(ref(`${anonymous.host}/app`), missing, join(work, 'missing-blob'));
    expect(result).toEqual({
      ok: false,
      error: { code: 'BLOB_UNKNOWN', message: `Get "http://${anonymous.host}/v2/app/blobs/${missing.digest}": blob unknown: blob unknown to registry` },
    });
  });

  it('a registry that is down fails like dockerd: the URL, then the dial error', async () => {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    expect(failureOf(await client().resolve(ref(`${host}/app`)))).toBe(`Get "https://${host}/v2/": dial tcp ${host}: connect: connection refused`);
    expect(failureOf(await client({ insecureRegistries: [host] }).resolve(ref(`${host}/app`)))).toBe(
      `Get "http://${host}/v2/": dial tcp ${host}: connect: connection refused`,
    );
  });

  it('a plain-HTTP registry is used only when listed as insecure', async () => {
    expect(failureOf(await client().resolve(ref(`${anonymous.host}/app:v1`)))).toBe(
      `Get "https://${anonymous.host}/v2/": http: server gave HTTP response to HTTPS client`,
    );
    expect((await client({ insecureRegistries: ['127.0.0.0/8'] }).resolve(ref(`${anonymous.host}/app:v1`))).ok).toBe(true);
  });
});

describe('basic auth', () => {
  let basicImage: PushedImage;
  beforeAll(async () => {
    basicImage = await pushImage(basic, 'private', 'v1', { layers: [1000] });
  });

  it('pulls with explicit credentials', async () => {
    const c = client({ insecureRegistries: [basic.host], credentials: { [basic.host]: { username: 'alice', password: 'secret' } } });
    expect(valueOf(await c.resolve(ref(`${basic.host}/private:v1`))).manifestDigest).toBe(basicImage.manifestDigest);
  });

  it('pulls with the credentials docker login stored', async () => {
    const configPath = join(work, 'docker-config.json');
    await writeFile(configPath, JSON.stringify({ auths: { [basic.host]: { auth: Buffer.from('alice:secret').toString('base64') } } }));
    const c = client({ insecureRegistries: [basic.host], dockerConfigPath: configPath });
    expect(valueOf(await c.resolve(ref(`${basic.host}/private:v1`))).manifestDigest).toBe(basicImage.manifestDigest);
  });

  it('prefers explicit credentials over a stale docker login', async () => {
    const configPath = join(work, 'stale-docker-config.json');
    await writeFile(configPath, JSON.stringify({ auths: { [basic.host]: { auth: Buffer.from('alice:old-password').toString('base64') } } }));
    const c = client({ insecureRegistries: [basic.host], dockerConfigPath: configPath, credentials: { [basic.host]: { username: 'alice', password: 'secret' } } });
    expect(valueOf(await c.resolve(ref(`${basic.host}/private:v1`))).manifestDigest).toBe(basicImage.manifestDigest);
  });

  it('refuses a wrong password, and says when no credentials were given', async () => {
    const url = `http://${basic.host}/v2/private/manifests/v1`;
    const wrong = client({ insecureRegistries: [basic.host], credentials: { [basic.host]: { username: 'alice', password: 'wrong' } } });
    expect(failureOf(await wrong.resolve(ref(`${basic.host}/private:v1`)))).toBe(`Get "${url}": unauthorized: incorrect username or password`);
    const none = client({ insecureRegistries: [basic.host] });
    expect(failureOf(await none.resolve(ref(`${basic.host}/private:v1`)))).toBe(`Get "${url}": no basic auth credentials`);
  });
});

describe('bearer token auth', () => {
  let bearerImage: PushedImage;
  beforeAll(async () => {
    bearerImage = await pushImage(bearer, 'team/app', 'v1', { layers: [5000, 6000] });
  });

  it('fetches one token per scope and reuses it for the manifest, config and blobs', async () => {
    const before = tokens.issued('repository:team/app:pull');
    const c = client({ insecureRegistries: [bearer.host], credentials: { [bearer.host]: { username: 'alice', password: 'secret' } } });
    const resolved = valueOf(await c.resolve(ref(`${bearer.host}/team/app:v1`)));
    expect(resolved.manifestDigest).toBe(bearerImage.manifestDigest);
    await Promise.all(
      resolved.manifest.layers.map(async (layer, i) => valueOf(await c.fetchBlob(ref(`${bearer.host}/team/app`), layer, join(work, `bearer-layer-${i}`)))),
    );
    valueOf(await c.resolve(ref(`${bearer.host}/team/app:v1`)));
    expect(tokens.issued('repository:team/app:pull') - before).toBe(1);
  });

  it('fetches a new token once the cached one expires (300 s here, on a test clock)', async () => {
    const transport = new Transport();
    try {
      let now = Date.now();
      // The second endpoint of a listed insecure registry is its plain-HTTP one, where this registry listens.
      const plain = (await registryEndpoints(bearer.host, { insecureRegistries: [bearer.host], certsDir: join(work, 'no-certs') }))[1] as RegistryEndpoint;
      const auth = new Authenticator(transport, plain, { username: 'alice', password: 'secret' }, () => now);
      const ping = valueOf(await transport.get(plain, new URL('/v2/', plain.origin), {}));
      ping.body.resume();
      expect(ping.status).toBe(401);
      expect(auth.learn(ping)).toBe(true);
      const scope = 'repository:expiry/test:pull';
      const first = valueOf(await auth.authorize(scope, 'test'));
      expect(valueOf(await auth.authorize(scope, 'test'))).toEqual(first);
      expect(tokens.issued(scope)).toBe(1);
      now += 301_000;
      expect(valueOf(await auth.authorize(scope, 'test')).kind).toBe('bearer');
      expect(tokens.issued(scope)).toBe(2);
    } finally {
      transport.close();
    }
  });

  it('anonymous users are denied as docker words it', async () => {
    const result = await client({ insecureRegistries: [bearer.host] }).resolve(ref(`${bearer.host}/team/app:v1`));
    expect(failureOf(result)).toBe(
      `pull access denied for ${bearer.host}/team/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`,
    );
  });

  it('a wrong password is refused by the token service', async () => {
    const c = client({ insecureRegistries: [bearer.host], credentials: { [bearer.host]: { username: 'alice', password: 'wrong' } } });
    expect(failureOf(await c.resolve(ref(`${bearer.host}/team/app:v1`)))).toBe(
      `Get "http://${bearer.host}/v2/team/app/manifests/v1": unauthorized: incorrect username or password`,
    );
  });
});

describe('TLS', () => {
  let tlsImage: PushedImage;
  beforeAll(async () => {
    tlsImage = await pushImage(tls, 'secure', 'v1', { layers: [100] });
  });

  it('verifies the registry with the CA from certs.d/<host>/ca.crt', async () => {
    const certsDir = join(work, 'certs.d');
    await mkdir(join(certsDir, tls.host), { recursive: true });
    await writeFile(join(certsDir, tls.host, 'ca.crt'), tls.caPem ?? '');
    expect(valueOf(await client({ certsDir }).resolve(ref(`${tls.host}/secure:v1`))).manifestDigest).toBe(tlsImage.manifestDigest);
  });

  it('refuses an unknown CA unless the registry is listed as insecure', async () => {
    expect(failureOf(await client().resolve(ref(`${tls.host}/secure:v1`)))).toBe(
      `Get "https://${tls.host}/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    );
    expect((await client({ insecureRegistries: [tls.host] }).resolve(ref(`${tls.host}/secure:v1`))).ok).toBe(true);
  });
});

describe('blob downloads', () => {
  const proxied = () => ref(`${proxy.host}/app`);
  const proxyClient = (options: RegistryClientOptions = {}) => client({ insecureRegistries: [proxy.host], ...options });
  const layer = (i: number): Descriptor => {
    const found = image.layers[i];
    if (found === undefined) throw new Error(`no layer ${i}`);
    return found;
  };

  it('writes the verified blob to the given path and reports progress up to its size', async () => {
    proxy.reset();
    const path = join(work, 'blob-plain');
    const progress: number[] = [];
    valueOf(await proxyClient().fetchBlob(proxied(), layer(0), path, (done, total) => progress.push(done / total)));
    expect(createHash('sha256').update(await readFile(path)).digest('hex')).toBe(layer(0).digest.slice('sha256:'.length));
    expect(progress.at(-1)).toBe(1);
    expect(progress.length).toBeGreaterThan(1);
  });

  it('rejects a manifest whose bytes do not match the digest asked for', async () => {
    proxy.reset();
    proxy.setFault({ kind: 'corrupt', pathEnd: image.manifestDigest });
    const result = await proxyClient().resolve(ref(`${proxy.host}/app@${image.manifestDigest}`));
    expect(result).toEqual({ ok: false, error: { code: 'DIGEST_MISMATCH', message: `manifest verification failed for digest ${image.manifestDigest}` } });
  });

  it('rejects a manifest pulled by tag whose bytes do not match the Docker-Content-Digest header', async () => {
    proxy.reset();
    proxy.setFault({ kind: 'corrupt', pathEnd: '/manifests/v1' });
    const result = await proxyClient().resolve(ref(`${proxy.host}/app:v1`));
    expect(result).toEqual({ ok: false, error: { code: 'DIGEST_MISMATCH', message: `manifest verification failed for digest ${image.manifestDigest}` } });
  });

  it('rejects a corrupt blob with docker\'s verification error', async () => {
    proxy.reset();
    proxy.setFault({ kind: 'corrupt', pathEnd: layer(1).digest });
    const result = await proxyClient().fetchBlob(proxied(), layer(1), join(work, 'blob-corrupt'));
    expect(result).toEqual({ ok: false, error: { code: 'DIGEST_MISMATCH', message: `filesystem layer verification failed for digest ${layer(1).digest}` } });
  });

  it('resumes a broken download with a Range request from the byte reached, and verifies the whole', async () => {
    proxy.reset();
    proxy.setFault({ kind: 'truncate-once', pathEnd: layer(0).digest, afterBytes: 100_000 });
    const path = join(work, 'blob-resumed');
    const progress: number[] = [];
    valueOf(await proxyClient().fetchBlob(proxied(), layer(0), path, (done) => progress.push(done)));
    const gets = proxy.requests().filter((r) => r.path.endsWith(layer(0).digest));
    expect(gets).toHaveLength(2);
    expect(gets[0]?.range).toBeUndefined();
    // The resume starts where the client's file ended: at most the bytes the proxy let through
    // (Node drops what it had buffered but not yet handed over when the connection breaks).
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]?.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(100_000);
    expect(progress).toContain(resumedAt);
    expect(progress.every((done, i) => i === 0 || done >= (progress[i - 1] ?? 0))).toBe(true);
    expect(createHash('sha256').update(await readFile(path)).digest('hex')).toBe(layer(0).digest.slice('sha256:'.length));
  });

  it('starts over when the server ignores the Range request', async () => {
    proxy.reset();
    proxy.setFault({ kind: 'truncate-once', pathEnd: layer(0).digest, afterBytes: 50_000, ignoreRange: true });
    const path = join(work, 'blob-restarted');
    const progress: number[] = [];
    valueOf(await proxyClient().fetchBlob(proxied(), layer(0), path, (done) => progress.push(done)));
    expect(progress).toContain(0);
    expect((await readFile(path)).length).toBe(layer(0).size);
  });

  it('retries a server error, and gives up after the attempts with the last error', async () => {
    proxy.reset();
    proxy.setFault({ kind: 'status-500', pathEnd: layer(2).digest, times: 2 });
    valueOf(await proxyClient().fetchBlob(proxied(), layer(2), join(work, 'blob-500')));
    proxy.reset();
    proxy.setFault({ kind: 'status-500', pathEnd: layer(2).digest, times: 100 });
    const failed = await proxyClient().fetchBlob(proxied(), layer(2), join(work, 'blob-500-always'));
    expect(failureOf(failed)).toBe(`Get "http://${proxy.host}/v2/app/blobs/${layer(2).digest}": received unexpected HTTP status: 500 Internal Server Error`);
    expect(proxy.requests().filter((r) => r.path.endsWith(layer(2).digest))).toHaveLength(fastRetry.maxAttempts);
  });

  it('gives up on a blob cut short on every attempt with a truncation error', async () => {
    proxy.reset();
    proxy.setFault({ kind: 'truncate-always', pathEnd: layer(1).digest, afterBytes: 10 });
    const result = await proxyClient().fetchBlob(proxied(), layer(1), join(work, 'blob-truncated'));
    expect(result.ok || result.error.code).toBe('BLOB_TRUNCATED');
    expect(failureOf(result)).toContain(`downloading ${layer(1).digest}: unexpected EOF`);
  });

  it('downloads a blob wanted by two pulls at once only once, and gives each its own file', async () => {
    proxy.reset();
    proxy.setDelay(200);
    const c = proxyClient();
    const seen: number[][] = [[], []];
    const [a, b] = await Promise.all(
      [0, 1].map((i) => c.fetchBlob(proxied(), layer(0), join(work, `blob-shared-${i}`), (done) => seen[i]?.push(done))),
    );
    valueOf(a as Result<void>);
    valueOf(b as Result<void>);
    expect(proxy.requests().filter((r) => r.path.endsWith(layer(0).digest))).toHaveLength(1);
    expect((await readFile(join(work, 'blob-shared-1'))).equals(await readFile(join(work, 'blob-shared-0')))).toBe(true);
    expect(seen[1]?.at(-1)).toBe(layer(0).size);
  });

  it('gives up on a silent connection after the idle timeout and resumes', async () => {
    proxy.reset();
    proxy.setFault({ kind: 'stall-once', pathEnd: layer(0).digest, afterBytes: 80_000 });
    const path = join(work, 'blob-stalled');
    const started = Date.now();
    valueOf(await proxyClient({ timeouts: { idleMs: 300 } }).fetchBlob(proxied(), layer(0), path));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const ranges = proxy.requests().filter((r) => r.path.endsWith(layer(0).digest)).map((r) => r.range);
    expect(ranges).toHaveLength(2);
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect((await readFile(path)).length).toBe(layer(0).size);
  });

  it('follows a redirect to another origin without sending it the registry credentials', async () => {
    const cdnProxy = await startFaultProxy(basic.url, `Basic ${Buffer.from('alice:secret').toString('base64')}`);
    try {
      const pushed = await pushImage(basic, 'cdn', 'v1', { layers: [40_000] });
      const blob = pushed.layers[0] as Descriptor;
      cdnProxy.setFault({ kind: 'redirect', pathEnd: blob.digest });
      const c = client({ insecureRegistries: [cdnProxy.host], credentials: { [cdnProxy.host]: { username: 'alice', password: 'secret' } } });
      valueOf(await c.fetchBlob(ref(`${cdnProxy.host}/cdn`), blob, join(work, 'blob-cdn')));
      const gets = cdnProxy.requests().filter((r) => r.path.endsWith(blob.digest));
      expect(gets.map((r) => r.authorized)).toEqual([true, false]);
    } finally {
      await cdnProxy.stop();
    }
  });

  it('tells every pull sharing a download that it failed', async () => {
    proxy.reset();
    proxy.setDelay(100);
    proxy.setFault({ kind: 'corrupt', pathEnd: layer(1).digest });
    const c = proxyClient();
    const results = await Promise.all([0, 1].map((i) => c.fetchBlob(proxied(), layer(1), join(work, `blob-shared-corrupt-${i}`))));
    expect(results.map((r) => r.ok || r.error.message)).toEqual([
      `filesystem layer verification failed for digest ${layer(1).digest}`,
      `filesystem layer verification failed for digest ${layer(1).digest}`,
    ]);
    expect(proxy.requests().filter((r) => r.path.endsWith(layer(1).digest))).toHaveLength(1);
  });

  it('runs no more downloads at once than the limit', async () => {
    const many = await pushImage(anonymous, 'many', 'v1', { layers: [20_000, 20_001, 20_002, 20_003, 20_004, 20_005] });
    proxy.reset();
    proxy.setDelay(150);
    const c = proxyClient({ maxConcurrentDownloads: 2 });
    const results = await Promise.all(many.layers.map((l, i) => c.fetchBlob(ref(`${proxy.host}/many`), l, join(work, `blob-many-${i}`))));
    results.forEach((r) => valueOf(r));
    expect(proxy.maxConcurrentBlobGets()).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Test registries: real docker-registry processes, a JWT token service and a fault proxy.

interface TestRegistry {
  kind: 'anonymous' | 'basic' | 'bearer' | 'tls';
  host: string;
  url: string;
  caPem?: string;
  /** Authorization header for pushing test content. */
  pushAuth: () => Promise<string | undefined>;
  stop(): Promise<void>;
}

interface PushedImage {
  manifestDigest: string;
  manifestBytes: Buffer;
  configBytes: Buffer;
  layers: Descriptor[];
}

const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startRegistry(root: string, kind: TestRegistry['kind'], tokenService?: TokenService): Promise<TestRegistry> {
  const dir = await mkdtemp(join(root, `registry-${kind}-`));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let tlsConfig = '';
  let caPem: string | undefined;
  if (kind === 'tls') {
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=vic test registry', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    caPem = await readFile(join(dir, 'cert.pem'), 'utf8');
    tlsConfig = `  tls:\n    certificate: ${join(dir, 'cert.pem')}\n    key: ${join(dir, 'key.pem')}\n`;
  }
  let authConfig = '';
  if (kind === 'basic') {
    const { stdout } = await run('htpasswd', ['-Bbn', 'alice', 'secret']);
    await writeFile(join(dir, 'htpasswd'), stdout);
    authConfig = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  if (kind === 'bearer' && tokenService !== undefined) {
    authConfig = `auth:\n  token:\n    realm: ${tokenService.url}/token\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: ${tokenService.certPath}\n`;
  }
  const config = `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n  secret: test-secret\n${tlsConfig}${authConfig}`;
  await writeFile(join(dir, 'config.yml'), config);
  const child = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString();
  });
  const url = `${kind === 'tls' ? 'https' : 'http'}://${host}`;
  await waitForRegistry(url, caPem, child, () => stderr);
  const pushAuth = async (): Promise<string | undefined> => {
    if (kind === 'basic') return `Basic ${Buffer.from('alice:secret').toString('base64')}`;
    if (kind === 'bearer' && tokenService !== undefined) return `Bearer ${tokenService.pushToken()}`;
    return undefined;
  };
  return {
    kind,
    host,
    url,
    ...(caPem === undefined ? {} : { caPem }),
    pushAuth,
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForRegistry(url: string, caPem: string | undefined, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr()}`);
    const answered = await send('GET', `${url}/v2/`, {}, undefined, caPem).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry at ${url} did not answer within 15 s: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

interface SentResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

function send(method: string, url: string, headers: Record<string, string>, body?: Buffer, caPem?: string): Promise<SentResponse> {
  const target = new URL(url);
  const issue = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = issue(target, { method, headers, ...(caPem === undefined ? {} : { ca: caPem }), timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${method} ${url} timed out`)));
    request.on('error', reject);
    request.end(body);
  });
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function pushBlob(registry: TestRegistry, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const auth = await registry.pushAuth();
  const headers: Record<string, string> = auth === undefined ? {} : { authorization: auth };
  const started = await send('POST', `${registry.url}/v2/${repo}/blobs/uploads/`, headers, undefined, registry.caPem);
  if (started.status !== 202) throw new Error(`starting upload: ${started.status} ${started.body.toString()}`);
  const location = new URL(String(started.headers.location), registry.url);
  location.searchParams.set('digest', digest);
  const put = await send('PUT', location.href, { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) }, bytes, registry.caPem);
  if (put.status !== 201) throw new Error(`finishing upload: ${put.status} ${put.body.toString()}`);
  return digest;
}

async function pushManifest(registry: TestRegistry, repo: string, reference: string, mediaType: string, bytes: Buffer): Promise<string> {
  const auth = await registry.pushAuth();
  const headers: Record<string, string> = { 'content-type': mediaType, 'content-length': String(bytes.length) };
  if (auth !== undefined) headers.authorization = auth;
  const put = await send('PUT', `${registry.url}/v2/${repo}/manifests/${reference}`, headers, bytes, registry.caPem);
  if (put.status !== 201) throw new Error(`pushing manifest: ${put.status} ${put.body.toString()}`);
  return sha256(bytes);
}

/** An image whose layers are random bytes: the client never looks inside a layer. */
async function pushImage(
  registry: TestRegistry,
  repo: string,
  tag: string,
  shape: { layers: number[]; architecture?: string; format?: 'docker' | 'oci' },
): Promise<PushedImage> {
  const oci = shape.format === 'oci';
  const layers: Descriptor[] = [];
  for (const size of shape.layers) {
    const bytes = randomBytes(size);
    layers.push({ mediaType: oci ? MediaType.ociLayerGzip : MediaType.dockerLayerGzip, size, digest: await pushBlob(registry, repo, bytes) });
  }
  const config = {
    architecture: shape.architecture ?? 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map(() => sha256(randomBytes(8))) },
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = await pushBlob(registry, repo, configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: oci ? MediaType.ociManifest : MediaType.dockerManifest,
    config: { mediaType: oci ? MediaType.ociConfig : MediaType.dockerConfig, size: configBytes.length, digest: configDigest },
    layers,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 3));
  const manifestDigest = await pushManifest(registry, repo, tag, manifest.mediaType, manifestBytes);
  return { manifestDigest, manifestBytes, configBytes, layers };
}

async function pushIndex(
  registry: TestRegistry,
  repo: string,
  tag: string,
  entries: Array<{ image: PushedImage; platform: { os: string; architecture: string; variant?: string } }>,
  format: 'docker' | 'oci' = 'docker',
): Promise<{ digest: string }> {
  const [indexType, entryType] = format === 'oci' ? [MediaType.ociIndex, MediaType.ociManifest] : [MediaType.dockerManifestList, MediaType.dockerManifest];
  const index = {
    schemaVersion: 2,
    mediaType: indexType,
    manifests: entries.map((e) => ({ mediaType: entryType, size: e.image.manifestBytes.length, digest: e.image.manifestDigest, platform: e.platform })),
  };
  return { digest: await pushManifest(registry, repo, tag, indexType, Buffer.from(JSON.stringify(index))) };
}

interface TokenService {
  url: string;
  certPath: string;
  /** Tokens handed out for a scope (any outcome of the credentials check that produced a token). */
  issued(scope: string): number;
  pushToken(): string;
  stop(): Promise<void>;
}

/**
 * distribution's token auth: a JWT (RS256) naming its key by libtrust key ID, signed with the key
 * whose certificate the registry trusts. alice:secret gets pull and push on every repository it
 * asks for; anonymous users get a token with no access; a wrong password gets 401.
 */
async function startTokenService(root: string): Promise<TokenService> {
  const dir = await mkdtemp(join(root, 'token-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-issuer', '-keyout', keyPath, '-out', certPath]);
  const key = createPrivateKey(await readFile(keyPath));
  const publicDer = new X509Certificate(await readFile(certPath)).publicKey.export({ type: 'spki', format: 'der' });
  const kid = libtrustKeyId(publicDer);
  const counts = new Map<string, number>();
  const mint = (access: Array<{ type: string; name: string; actions: string[] }>): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', kid };
    const claims = { iss: 'test-issuer', sub: 'alice', aud: 'test-registry', exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
  };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://token');
    const scopes = url.searchParams.getAll('scope');
    const authorization = request.headers.authorization;
    const good = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
    if (authorization !== undefined && authorization !== good) {
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    for (const scope of scopes) counts.set(scope, (counts.get(scope) ?? 0) + 1);
    const access = authorization === undefined ? [] : scopes.map((scope) => ({ type: 'repository', name: scope.split(':')[1] ?? '', actions: ['pull', 'push'] }));
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: mint(access), expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('token service has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    certPath,
    issued: (scope) => counts.get(scope) ?? 0,
    // Wildcard-free distribution checks names exactly, so push tokens list the repositories tests use.
    pushToken: () => mint(['team/app'].map((name) => ({ type: 'repository', name, actions: ['pull', 'push'] }))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** libtrust `KeyID`: base32 of the first 240 bits of sha256(SPKI DER), in 4-character groups joined by ':'. */
function libtrustKeyId(spkiDer: Buffer): string {
  const hash = createHash('sha256').update(spkiDer).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of hash) bits += byte.toString(2).padStart(8, '0');
  let encoded = '';
  for (let i = 0; i < bits.length; i += 5) encoded += alphabet[Number.parseInt(bits.slice(i, i + 5), 2)];
  return encoded.match(/.{4}/g)?.join(':') ?? encoded;
}

type Fault =
  | { kind: 'corrupt'; pathEnd: string }
  | { kind: 'truncate-once'; pathEnd: string; afterBytes: number; ignoreRange?: boolean }
  | { kind: 'truncate-always'; pathEnd: string; afterBytes: number }
  | { kind: 'status-500'; pathEnd: string; times: number }
  /** Sends `afterBytes`, then goes silent with the connection open. */
  | { kind: 'stall-once'; pathEnd: string; afterBytes: number }
  /** Answers 307 to the same blob at `localhost` (another origin), as a registry sends clients to its CDN. */
  | { kind: 'redirect'; pathEnd: string };

interface ProxiedRequest {
  method: string;
  path: string;
  range?: string;
  authorized: boolean;
}

interface FaultProxy {
  host: string;
  setFault(fault: Fault): void;
  setDelay(ms: number): void;
  requests(): ProxiedRequest[];
  maxConcurrentBlobGets(): number;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A plain-HTTP proxy to `target` that can break blob GETs on purpose and logs every request.
 * `cdnAuthorization` is what the proxy itself sends upstream for redirected (CDN) requests,
 * which arrive without the client's credentials.
 */
async function startFaultProxy(target: string, cdnAuthorization?: string): Promise<FaultProxy> {
  let fault: Fault | undefined;
  let delayMs = 0;
  let log: ProxiedRequest[] = [];
  let port = 0;
  let active = 0;
  let maxActive = 0;
  let faultsServed = 0;
  const server = createServer(async (request, response) => {
    const path = request.url ?? '/';
    const range = request.headers.range;
    log.push({ method: request.method ?? 'GET', path, ...(range === undefined ? {} : { range }), authorized: request.headers.authorization !== undefined });
    const isBlob = path.includes('/blobs/sha256:');
    const hit = fault !== undefined && path.endsWith(fault.pathEnd) ? fault : undefined;
    if (isBlob) {
      active++;
      maxActive = Math.max(maxActive, active);
      response.once('close', () => active--);
      await sleep(delayMs);
    }
    if (hit?.kind === 'status-500' && faultsServed < hit.times) {
      faultsServed++;
      response.writeHead(500, { 'content-type': 'text/plain' }).end('injected failure');
      return;
    }
    const viaCdn = request.headers.host?.startsWith('localhost:') === true;
    if (hit?.kind === 'redirect' && !viaCdn) {
      response.writeHead(307, { location: `http://localhost:${port}${path}` }).end();
      return;
    }
    const headers = { ...request.headers, host: new URL(target).host };
    if (viaCdn && cdnAuthorization !== undefined) headers.authorization = cdnAuthorization;
    if (hit?.kind === 'truncate-once' && hit.ignoreRange === true) delete headers.range;
    const upstream = httpRequest(new URL(path, target), { method: request.method, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      let sent = 0;
      const cut = ((hit?.kind === 'truncate-once' || hit?.kind === 'stall-once') && faultsServed === 0) || hit?.kind === 'truncate-always' ? hit.afterBytes : Infinity;
      answer.on('data', (chunk: Buffer) => {
        let out = chunk;
        if (hit?.kind === 'corrupt' && sent === 0) {
          out = Buffer.from(chunk);
          out[0] = (out[0] ?? 0) ^ 0xff;
        }
        if (sent + out.length >= cut) {
          faultsServed++;
          answer.destroy();
          if (hit?.kind === 'stall-once') {
            // Silence, with the connection left open: only the client's idle timeout ends this.
            response.write(out.subarray(0, cut - sent));
            return;
          }
          // Cut the connection only once the bytes before the cut are flushed, so the client has them.
          response.write(out.subarray(0, cut - sent), () => response.socket?.destroy());
          return;
        }
        sent += out.length;
        response.write(out);
      });
      answer.on('end', () => response.end());
    });
    upstream.on('error', () => response.destroy());
    upstream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  port = address.port;
  return {
    host: `127.0.0.1:${address.port}`,
    setFault: (next) => {
      fault = next;
      faultsServed = 0;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    requests: () => log,
    maxConcurrentBlobGets: () => maxActive,
    reset: () => {
      fault = undefined;
      faultsServed = 0;
      delayMs = 0;
      log = [];
      maxActive = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
