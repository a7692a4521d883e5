import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullImage } from '../packages/imagec/src/pull/pull-image';
import type { JsonMessage } from '../packages/imagec/src/progress/json-message';
import { RegistryClient, type RegistryClientOptions } from '../packages/imagec/src/registry/registry-client';
import { ImageStore } from '../packages/imagec/src/store/image-store';
import { publishTestImages, type PublishedImages } from './support/images';
import { startFaultProxy, startTestRegistries, type FaultProxy, type TestRegistries } from './support/registry';

/*
 * `docker pull` semantics end to end against real registries (Debian's docker-registry) and a
 * real store (erofs layer disks). The fault proxy is the one stand-in: a registry does not break
 * its own downloads on request, so a proxy in front of it cuts and corrupts blob responses.
 */

let work: string;
let registries: TestRegistries;
let images: PublishedImages;
let proxy: FaultProxy;
const clients: RegistryClient[] = [];

function client(options: RegistryClientOptions = {}): RegistryClient {
  const created = new RegistryClient({
    insecureRegistries: ['127.0.0.0/8'],
    certsDir: join(work, 'no-certs'),
    dockerConfigPath: join(work, 'no-docker-config.json'),
    retry: { maxAttempts: 3, firstDelayMs: 10, maxDelayMs: 50 },
    ...options,
  });
  clients.push(created);
  return created;
}

async function freshStore(name: string): Promise<ImageStore> {
  return ImageStore.open(join(work, name));
}

/** A store holds nothing half-done: no temp files, no layer without an image, no image without its layers. */
function expectConsistent(store: ImageStore, root: string): void {
  expect(readdirSync(join(root, 'blobs', 'tmp'))).toEqual([]);
  expect(readdirSync(join(root, 'layer-store', 'tmp'))).toEqual([]);
  for (const image of store.list()) {
    const record = store.get(image.id)!;
    expect(store.layerDisks(record)).toHaveLength(record.layers.length);
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-image-pull-'));
  registries = await startTestRegistries();
  images = await publishTestImages(registries);
  proxy = await startFaultProxy(registries.anonymous.url);
}, 1_200_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await proxy?.stop();
  await registries?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('docker pull into the image store', () => {
  it('pulls by tag: dockerd\'s progress lines, one erofs disk per layer, the tag and the repo digest', async () => {
    const store = await freshStore('by-tag');
    const lines: JsonMessage[] = [];
    const reference = `${registries.anonymous.host}/${images.debian.repository}:${images.debian.tag}`;
    const pulled = await pullImage(store, client(), reference, (line) => lines.push(line));
    if (!pulled.ok) throw new Error(pulled.error.message);
    expect(pulled.value.id).toBe(images.debian.image.configDigest);
    const statuses = lines.map((line) => line.status);
    expect(lines[0]).toEqual({ status: `Pulling from ${images.debian.repository}`, id: images.debian.tag });
    for (const layer of images.debian.image.layers) {
      const id = layer.digest.slice('sha256:'.length, 'sha256:'.length + 12);
      const forLayer = lines.filter((line) => line.id === id).map((line) => line.status);
      expect(forLayer[0]).toBe('Pulling fs layer');
      expect(forLayer).toContain('Download complete');
      expect(forLayer.at(-1)).toBe('Pull complete');
    }
    expect(statuses.at(-2)).toBe(`Digest: ${images.debian.image.manifestDigest}`);
    expect(statuses.at(-1)).toBe(`Status: Downloaded newer image for ${reference}`);
    const found = store.find(reference);
    if (!found.ok) throw new Error(found.error.message);
    expect(store.layerDisks(found.value.record).map((disk) => disk.fstype)).toEqual(['erofs', 'erofs', 'erofs']);
    expect(store.list()[0]).toMatchObject({ repoTags: [reference], repoDigests: [`${registries.anonymous.host}/${images.debian.repository}@${images.debian.image.manifestDigest}`] });

    const again: JsonMessage[] = [];
    const second = await pullImage(store, client(), reference, (line) => again.push(line));
    expect(second.ok && second.value.downloaded).toBe(false);
    expect(again.at(-1)?.status).toBe(`Status: Image is up to date for ${reference}`);
    expectConsistent(store, join(work, 'by-tag'));
  });

  it('pulls by digest and names the image by that digest', async () => {
    const store = await freshStore('by-digest');
    const reference = `${registries.anonymous.host}/${images.busybox.repository}@${images.busybox.image.manifestDigest}`;
    const pulled = await pullImage(store, client(), reference);
    expect(pulled.ok && pulled.value.reference).toBe(reference);
    const found = store.find(reference);
    expect(found.ok && found.value.record.id).toBe(images.busybox.image.configDigest);
  });

  it('with basic auth and bearer tokens, given the credentials; a wrong password is refused', async () => {
    for (const registry of [registries.basic, registries.bearer]) {
      const store = await freshStore(`auth-${registry.kind}`);
      const reference = `${registry.host}/${images.busybox.repository}:latest`;
      const good = client({ credentials: { [registry.host]: { username: registry.username!, password: registry.password! } } });
      const pulled = await pullImage(store, good, reference);
      expect(pulled.ok || pulled.error.message).toBe(true);
      const bad = client({ credentials: { [registry.host]: { username: registry.username!, password: 'wrong' } } });
      const refused = await pullImage(await freshStore(`auth-bad-${registry.kind}`), bad, reference);
      expect(refused.ok || refused.error.message).toMatch(/unauthorized|incorrect username or password|pull access denied/);
    }
  });

  it('two pulls at once of images sharing a layer download that layer once', async () => {
    proxy.reset();
    const store = await freshStore('shared');
    const shared = client();
    const [a, b] = await Promise.all([
      pullImage(store, shared, `${proxy.host}/${images.busybox.repository}:latest`),
      pullImage(store, shared, `${proxy.host}/${images.busybox.repository}:1.36`),
    ]);
    expect(a.ok && b.ok).toBe(true);
    const layerGets = proxy.requests().filter((request) => request.path.endsWith(images.busybox.image.layers[0]!.digest));
    expect(layerGets).toHaveLength(1);
  });
});

describe('bad input: a clear error, a consistent store, and a retry that works', () => {
  it('an unknown image and an unknown tag', async () => {
    const store = await freshStore('unknown');
    const noRepo = await pullImage(store, client(), `${registries.anonymous.host}/vic/nosuch:latest`);
    expect(noRepo.ok || noRepo.error.message).toMatch(/repository does not exist|not found/);
    const noTag = await pullImage(store, client(), `${registries.anonymous.host}/${images.busybox.repository}:nosuch`);
    expect(noTag.ok || noTag.error.message).toBe(`manifest for ${registries.anonymous.host}/${images.busybox.repository}:nosuch not found: manifest unknown: manifest unknown`);
    const invalid = await pullImage(store, client(), 'Not/A:Valid::Ref');
    expect(invalid.ok || invalid.error.message).toMatch(/^invalid reference format/);
    expect(store.list()).toEqual([]);
  });

  it('a registry that is down', async () => {
    const result = await pullImage(await freshStore('down'), client(), '127.0.0.1:1/library/busybox:latest');
    expect(result.ok || result.error.message).toBe('Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused');
  });

  it('a corrupt blob is refused, nothing is kept, and the retry succeeds', async () => {
    const root = join(work, 'corrupt');
    const store = await ImageStore.open(root);
    const layer = images.busybox.image.layers[0]!;
    proxy.setFault({ kind: 'corrupt', pathEnd: layer.digest });
    const corrupt = await pullImage(store, client(), `${proxy.host}/${images.busybox.repository}:latest`);
    expect(corrupt.ok || corrupt.error.message).toBe(`filesystem layer verification failed for digest ${layer.digest}`);
    expect(store.list()).toEqual([]);
    expectConsistent(store, root);
    proxy.reset();
    const retried = await pullImage(store, client(), `${proxy.host}/${images.busybox.repository}:latest`);
    expect(retried.ok).toBe(true);
  });

  it('a download cut short resumes with a Range request; one cut on every attempt fails, and the retry succeeds', async () => {
    const layer = images.busybox.image.layers[0]!;
    const reference = `${proxy.host}/${images.busybox.repository}:latest`;
    proxy.reset();
    proxy.setFault({ kind: 'truncate-once', pathEnd: layer.digest, afterBytes: 500_000 });
    const resumed = await pullImage(await freshStore('resume'), client(), reference);
    expect(resumed.ok).toBe(true);
    const ranges = proxy.requests().filter((request) => request.path.endsWith(layer.digest)).map((request) => request.range);
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBeUndefined();
    // The second request asks for the rest from the byte the first one delivered (at most the cut).
    const resumedFrom = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThanOrEqual(500_000);

    const root = join(work, 'truncated');
    const store = await ImageStore.open(root);
    proxy.reset();
    proxy.setFault({ kind: 'truncate-always', pathEnd: layer.digest, afterBytes: 100_000 });
    const failed = await pullImage(store, client(), reference);
    expect(failed.ok || failed.error.message).toMatch(/unexpected EOF|truncated|closed/);
    expect(store.list()).toEqual([]);
    expectConsistent(store, root);
    proxy.reset();
    const retried = await pullImage(store, client(), reference);
    expect(retried.ok).toBe(true);
  });

  it('a full disk fails with ENOSPC, and after space is freed the retry succeeds', async () => {
    const root = join(work, 'small');
    mkdirSync(root);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', root]);
    try {
      const store = await ImageStore.open(join(root, 'store'));
      const reference = `${registries.anonymous.host}/${images.debian.repository}:${images.debian.tag}`;
      const full = await pullImage(store, client(), reference);
      expect(full.ok || full.error.message).toMatch(/no space left on device/);
      expect(store.list()).toEqual([]);
      expectConsistent(store, join(root, 'store'));
      execFileSync('mount', ['-o', 'remount,size=1g', root]);
      const retried = await pullImage(store, client(), reference);
      expect(retried.ok || retried.error.message).toBe(true);
    } finally {
      execFileSync('umount', [root]);
    }
  });
});
