import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDockerCredentials } from '../src/registry/credentials';
import { isInsecureRegistry, registryEndpoints } from '../src/registry/endpoints';
import { formatRegistryError, parseRegistryErrors } from '../src/registry/errors';
import { parseManifestDocument } from '../src/registry/manifest-document';
import { responseFailure } from '../src/registry/response-errors';
import { formatPlatform, linuxAmd64, selectManifest } from '../src/registry/platform';
import { parseChallenges } from '../src/registry/www-authenticate';

const digestA = `sha256:${'a'.repeat(64)}`;
const digestB = `sha256:${'b'.repeat(64)}`;
const digestC = `sha256:${'c'.repeat(64)}`;

describe('WWW-Authenticate challenges', () => {
  it('reads a Docker Hub bearer challenge with realm, service and scope', () => {
    const header = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"';
    expect(parseChallenges([header])).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
  });

  it('keeps several challenges in one header apart, with escapes, spaces and token values', () => {
    const header = 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"';
    expect(parseChallenges([header])).toEqual([
      { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      { scheme: 'basic', params: { realm: 'simple' } },
    ]);
  });

  it('reads challenges from repeated headers and a token68 credential', () => {
    expect(parseChallenges(['Negotiate abc123==', 'BASIC Realm="Registry Realm"'])).toEqual([
      { scheme: 'negotiate', params: { '': 'abc123==' } },
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
    ]);
  });

  it('keeps what parsed before a malformed tail', () => {
    expect(parseChallenges(['Bearer realm="http://127.0.0.1:1/token", service="unterminated'])).toEqual([
      { scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/token' } },
    ]);
  });
});

describe('docker login credentials', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vic-credentials-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function configWith(content: string): Promise<string> {
    const path = join(dir, `${Math.random().toString(16).slice(2)}.json`);
    await writeFile(path, content);
    return path;
  }

  const auth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

  it('decodes auths[host].auth as base64 user:password (password may hold colons)', async () => {
    const path = await configWith(JSON.stringify({ auths: { 'localhost:5000': { auth: auth('alice', 'pa:ss') } } }));
    expect(await readDockerCredentials('localhost:5000', path)).toEqual({ ok: true, value: { username: 'alice', password: 'pa:ss' } });
    expect(await readDockerCredentials('localhost:5001', path)).toEqual({ ok: true, value: undefined });
  });

  it('finds Docker Hub credentials under the legacy https://index.docker.io/v1/ key', async () => {
    const path = await configWith(JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: auth('bob', 'secret') } } }));
    expect(await readDockerCredentials('docker.io', path)).toEqual({ ok: true, value: { username: 'bob', password: 'secret' } });
  });

  it('accepts URL-shaped keys that older clients wrote', async () => {
    const path = await configWith(JSON.stringify({ auths: { 'https://registry.example.com/v2/': { auth: auth('carol', 'pw') } } }));
    expect(await readDockerCredentials('registry.example.com', path)).toEqual({ ok: true, value: { username: 'carol', password: 'pw' } });
  });

  it('treats a missing config file as no credentials, and a malformed one as an error', async () => {
    expect(await readDockerCredentials('docker.io', join(dir, 'absent.json'))).toEqual({ ok: true, value: undefined });
    const broken = await configWith('{"auths": ');
    const result = await readDockerCredentials('docker.io', broken);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain(`loading config file ${broken}`);
  });

  it('rejects an auth value that is not user:password', async () => {
    const path = await configWith(JSON.stringify({ auths: { 'localhost:5000': { auth: Buffer.from('nocolon').toString('base64') } } }));
    const result = await readDockerCredentials('localhost:5000', path);
    expect(result.ok).toBe(false);
  });
});

describe('registry endpoints', () => {
  it('reaches docker.io at registry-1.docker.io over verified HTTPS only', async () => {
    const endpoints = await registryEndpoints('docker.io', { certsDir: '/nonexistent' });
    expect(endpoints.map((e) => [e.origin.href, e.verifyTls])).toEqual([['https://registry-1.docker.io/', true]]);
  });

  it('lets listed insecure registries skip verification and fall back to HTTP', async () => {
    const endpoints = await registryEndpoints('10.1.2.3:5000', { insecureRegistries: ['10.0.0.0/8'], certsDir: '/nonexistent' });
    expect(endpoints.map((e) => [e.origin.href, e.verifyTls])).toEqual([
      ['https://10.1.2.3:5000/', false],
      ['http://10.1.2.3:5000/', false],
    ]);
  });

  it('matches insecure entries by exact host:port or by CIDR for IP literals', () => {
    expect(isInsecureRegistry('myreg:5000', ['myreg:5000'])).toBe(true);
    expect(isInsecureRegistry('myreg:5001', ['myreg:5000'])).toBe(false);
    expect(isInsecureRegistry('127.0.0.1:5000', ['127.0.0.0/8'])).toBe(true);
    expect(isInsecureRegistry('192.168.1.1:5000', ['127.0.0.0/8'])).toBe(false);
    expect(isInsecureRegistry('[::1]:5000', ['::1/128'])).toBe(true);
  });

  it('trusts every <certsDir>/<host>/*.crt next to the public roots', async () => {
    const certsDir = await mkdtemp(join(tmpdir(), 'vic-certs-'));
    try {
      await writeFile(join(certsDir, 'x'), '');
      const hostDir = join(certsDir, 'reg.test:5000');
      await import('node:fs/promises').then((fs) => fs.mkdir(hostDir));
      await writeFile(join(hostDir, 'ca.crt'), 'PEM-A');
      await writeFile(join(hostDir, 'client.key'), 'not a CA');
      const [endpoint] = await registryEndpoints('reg.test:5000', { certsDir });
      expect(endpoint?.ca).toContain('PEM-A');
      expect(endpoint?.ca).not.toContain('not a CA');
      expect(endpoint?.ca?.length).toBeGreaterThan(100);
    } finally {
      await rm(certsDir, { recursive: true, force: true });
    }
  });
});

describe('registry error bodies', () => {
  it('formats entries as errcode does: lower-case code, then the message', () => {
    const body = Buffer.from(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }] }));
    const [first] = parseRegistryErrors(body);
    expect(first && formatRegistryError(first)).toBe('manifest unknown: manifest unknown');
    expect(parseRegistryErrors(Buffer.from('<html>502</html>'))).toEqual([]);
  });
});

describe('failed registry answers, translated as dockerd translates them', () => {
  const subject = { familiarName: 'team/app', familiarString: 'team/app:v1' };
  const url = 'https://registry.example.com/v2/team/app/manifests/v1';
  const body = (code: string, message: string) => Buffer.from(JSON.stringify({ errors: [{ code, message }] }));

  it.each([
    { status: 404, errorBody: body('NAME_UNKNOWN', 'repository name not known to registry'), code: 'REPOSITORY_UNKNOWN', message: 'repository team/app not found: name unknown: repository name not known to registry' },
    { status: 403, errorBody: body('DENIED', 'requested access to the resource is denied'), code: 'REPOSITORY_DENIED', message: "pull access denied for team/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied" },
    { status: 404, errorBody: Buffer.alloc(0), code: 'MANIFEST_UNKNOWN', message: 'manifest for team/app:v1 not found: manifest unknown: manifest unknown' },
    { status: 503, errorBody: Buffer.from('<html>busy</html>'), code: 'REGISTRY_ERROR', message: `Get "${url}": received unexpected HTTP status: 503 Service Unavailable` },
    { status: 429, errorBody: body('TOOMANYREQUESTS', 'You have reached your pull rate limit.'), code: 'REGISTRY_ERROR', message: `Get "${url}": toomanyrequests: You have reached your pull rate limit.` },
    { status: 400, errorBody: Buffer.alloc(0), code: 'REGISTRY_REFUSED', message: `Get "${url}": received unexpected HTTP status: 400 Bad Request` },
  ])('$status answer → $code', ({ status, errorBody, code, message }) => {
    expect(responseFailure(status, url, errorBody, subject, 'manifest')).toEqual({ ok: false, error: { code, message } });
  });
});

const descriptor = (digest: string, extra: object = {}) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 500, ...extra });

describe('platform selection from an index', () => {
  it('picks linux/amd64, also when spelled x86_64 or with variant v1, and never amd64/v3 or attestations', () => {
    const entries = [
      descriptor(digestA, { platform: { os: 'linux', architecture: 'amd64', variant: 'v3' } }),
      descriptor(digestB, { platform: { os: 'unknown', architecture: 'unknown' } }),
      descriptor(digestC, { platform: { os: 'linux', architecture: 'x86_64' } }),
    ];
    expect(selectManifest(entries, linuxAmd64)?.digest).toBe(digestC);
    expect(selectManifest([descriptor(digestA, { platform: { os: 'linux', architecture: 'amd64', variant: 'v1' } })], linuxAmd64)?.digest).toBe(digestA);
  });

  it('finds nothing in an arm64-only index', () => {
    const entries = [descriptor(digestA, { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } })];
    expect(selectManifest(entries, linuxAmd64)).toBeUndefined();
    expect(formatPlatform(linuxAmd64)).toBe('linux/amd64');
    expect(formatPlatform({ os: 'linux', architecture: 'armhf' })).toBe('linux/arm/v7');
  });
});

describe('manifest documents', () => {
  const reference = 'docker.io/library/busybox:latest';
  const dockerManifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1457, digest: digestA },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 2152262, digest: digestB }],
  };

  it('reads a Docker schema 2 manifest', () => {
    const result = parseManifestDocument(Buffer.from(JSON.stringify(dockerManifest)), 'application/vnd.docker.distribution.manifest.v2+json', reference);
    expect(result.ok && result.value.kind === 'image' && result.value.manifest.layers[0]?.size).toBe(2152262);
  });

  it('reads an OCI index without a mediaType field from its Content-Type, or from its shape', () => {
    const index = { schemaVersion: 2, manifests: [descriptor(digestA, { platform: { os: 'linux', architecture: 'amd64' } })] };
    const byHeader = parseManifestDocument(Buffer.from(JSON.stringify(index)), 'application/vnd.oci.image.index.v1+json', reference);
    expect(byHeader.ok && byHeader.value.kind).toBe('index');
    const byShape = parseManifestDocument(Buffer.from(JSON.stringify(index)), 'application/json', reference);
    expect(byShape.ok && byShape.value.mediaType).toBe('application/vnd.oci.image.index.v1+json');
  });

  it('refuses schema 1 with dockerd\'s deprecation message', () => {
    const schema1 = { schemaVersion: 1, name: 'library/busybox', tag: 'latest', architecture: 'amd64', fsLayers: [], history: [] };
    const result = parseManifestDocument(Buffer.from(JSON.stringify(schema1)), 'application/vnd.docker.distribution.manifest.v1+prettyjws', reference);
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'MANIFEST_UNSUPPORTED',
        message:
          'Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of docker.io/library/busybox:latest to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/',
      },
    });
  });

  it.each([
    ['a layer without a digest', { ...dockerManifest, layers: [{ mediaType: 'x', size: 1 }] }, 'layers[0] has no digest'],
    ['a malformed digest', { ...dockerManifest, config: { ...dockerManifest.config, digest: 'sha256:xyz' } }, 'config has an invalid digest "sha256:xyz"'],
    ['a negative size', { ...dockerManifest, config: { ...dockerManifest.config, size: -1 } }, 'config has an invalid size -1'],
    ['layers that are not a list', { ...dockerManifest, layers: {} }, 'layers is not a list'],
  ])('rejects %s', (_, manifest, why) => {
    const result = parseManifestDocument(Buffer.from(JSON.stringify(manifest)), undefined, reference);
    expect(result).toEqual({ ok: false, error: { code: 'MANIFEST_INVALID', message: `invalid manifest for ${reference}: ${why}` } });
  });

  it('names an unknown manifest media type as distribution does', () => {
    const result = parseManifestDocument(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.cncf.helm.chart' })), undefined, reference);
    expect(result.ok || result.error.message).toBe('unsupported manifest media type and no default available: application/vnd.cncf.helm.chart');
  });
});
