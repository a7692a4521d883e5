import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference, type ImageReference } from '../src/index';
import type { Descriptor } from '../src/image/image-types';
import { MediaType } from '../src/image/media-types';
import { Authenticator } from '../src/registry/authenticator';
import { registryEndpoints, type RegistryEndpoint } from '../src/registry/endpoints';
import { RegistryClient, type RegistryClientOptions } from '../src/registry/registry-client';
import { Transport } from '../src/registry/transport';
import type { Result } from '../src/result';
import {
  freePort,
  pushImage,
  pushIndex,
  startFaultProxy,
  startRegistry,
  startTokenService,
  type FaultProxy,
  type PushedImage,
  type TestRegistry,
  type TokenService,
} from '../../../test/support/registry';

/*
 * Real registries (Debian's docker-registry, distribution 2.8) on 127.0.0.1, one per auth mode,
 * a real token service for bearer auth and a fault-injecting HTTP proxy in front of the
 * anonymous one (test/support/registry). Nothing is mocked.
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
