import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract } from 'tar-stream';
import { buildDebianImage, publishTestImages, type PublishedImages } from './support/images';
import { startTestRegistries, type TestRegistries, type TestRegistry } from './support/registry';

/* The test images and registries the image tests rely on, checked over raw HTTP. */

let registries: TestRegistries;
let images: PublishedImages;

async function tarNames(gzipPath: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const parser = extract();
  parser.on('entry', (header, stream, next) => {
    names.set(header.name, header.type);
    stream.on('end', next);
    stream.resume();
  });
  const done = new Promise<void>((resolve, reject) => {
    parser.on('finish', resolve);
    parser.on('error', reject);
  });
  parser.end(gunzipSync(readFileSync(gzipPath)));
  await done;
  return names;
}

async function fetchManifest(registry: TestRegistry, path: string, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/vnd.docker.distribution.manifest.v2+json' };
  if (authorization) headers.authorization = authorization;
  return fetch(`${registry.url}/v2/${path}`, { headers });
}

beforeAll(async () => {
  registries = await startTestRegistries();
  images = await publishTestImages(registries);
}, 1_200_000);

afterAll(async () => {
  await registries?.stop();
});

describe('test images in the test registries', () => {
  it('the anonymous registry serves the Debian manifest by tag with its digest', async () => {
    const answer = await fetchManifest(registries.anonymous, `${images.debian.repository}/manifests/${images.debian.tag}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('docker-content-digest')).toBe(images.debian.image.manifestDigest);
  });

  it('the basic-auth registry serves the same storage, only with the password', async () => {
    const path = `${images.debian.repository}/manifests/${images.debian.tag}`;
    const anonymous = await fetchManifest(registries.basic, path);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const basic = `Basic ${Buffer.from(`${registries.basic.username}:${registries.basic.password}`).toString('base64')}`;
    expect((await fetchManifest(registries.basic, path, basic)).status).toBe(200);
  });

  it('the bearer registry names its token service, whose token opens it', async () => {
    const path = `${images.debian.repository}/manifests/${images.debian.tag}`;
    const challenge = (await fetchManifest(registries.bearer, path)).headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(new RegExp(`^Bearer realm="${registries.tokenService.url}/token",service="[^"]+",scope="repository:${images.debian.repository}:pull"`));
    const service = /service="([^"]+)"/.exec(challenge)?.[1] ?? '';
    const login = `Basic ${Buffer.from(`${registries.bearer.username}:${registries.bearer.password}`).toString('base64')}`;
    const tokenAnswer = await fetch(`${registries.tokenService.url}/token?service=${service}&scope=repository:${images.debian.repository}:pull`, { headers: { authorization: login } });
    const { token } = (await tokenAnswer.json()) as { token: string };
    expect((await fetchManifest(registries.bearer, path, `Bearer ${token}`)).status).toBe(200);
  });

  it('the Debian image has a debootstrap base with device nodes, and a layer of whiteouts', async () => {
    const [base, , deletions] = await Promise.all(images.debian.image.layers.map((layer) => tarNames(layer.path)));
    expect(base!.get('./etc/os-release')).toBeDefined();
    expect([...base!.values()]).toContain('character-device');
    expect(deletions!.get('etc/.wh.vic-to-delete')).toBe('file');
    expect(deletions!.get('usr/share/doc/.wh.apt')).toBe('file');
    expect(deletions!.get('opt/vic/replaced/.wh..wh..opq')).toBe('file');
    expect(images.debian.image.expected.prettyName).toBe('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"');
  });

  it('a second build comes from the cache: same files, same digests', async () => {
    const again = await buildDebianImage();
    expect(again.layers.map((layer) => layer.path)).toEqual(images.debian.image.layers.map((layer) => layer.path));
    expect(again.manifestDigest).toBe(images.debian.image.manifestDigest);
    expect(execFileSync('sha256sum', [again.layers[0]!.path]).toString().split(' ')[0]).toBe(again.layers[0]!.digest.slice('sha256:'.length));
  });
});
