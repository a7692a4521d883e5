import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract } from 'tar-stream';
import { tarOf } from '@vic/sample-images';
import { loadImageArchive } from '../src/archive/load-archive';
import { saveImageArchive } from '../src/archive/save-archive';
import type { JsonMessage } from '../src/progress/json-message';
import { ImageStore } from '../src/store/image-store';
import { gzipLayer, sha256 } from './support/layer-tar';

/* Real archives in the two layouts `docker save` writes, loaded into a real store (erofs layer disks). */

let work: string;

interface TestImage {
  config: Buffer;
  id: string;
  layers: Awaited<ReturnType<typeof gzipLayer>>[];
}

async function makeImage(layerFiles: string[][], cmd: string): Promise<TestImage> {
  const layers = await Promise.all(layerFiles.map((files) => gzipLayer(files.map((name) => ({ name, content: `${name}\n` })))));
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: [cmd] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }),
  );
  return { config, id: sha256(config), layers };
}

/** A legacy `docker save` archive: manifest.json, <id>.json, <dir>/layer.tar (uncompressed). */
async function legacyArchive(image: TestImage, repoTags: string[]): Promise<Buffer> {
  const hex = image.id.slice('sha256:'.length);
  return tarOf([
    { name: 'manifest.json', content: JSON.stringify([{ Config: `${hex}.json`, RepoTags: repoTags, Layers: image.layers.map((_, i) => `layer${i}/layer.tar`) }]) },
    { name: `${hex}.json`, content: image.config },
    ...image.layers.map((layer, i) => ({ name: `layer${i}/layer.tar`, content: layer.tar })),
  ]);
}

async function archiveEntries(stream: Readable): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  const parser = extract();
  parser.on('entry', (header, content, next) => {
    const chunks: Buffer[] = [];
    content.on('data', (chunk) => chunks.push(chunk as Buffer));
    content.on('end', () => {
      entries.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    parser.on('finish', resolve);
    parser.on('error', reject);
    stream.pipe(parser as unknown as NodeJS.WritableStream);
  });
  return entries;
}

describe('image archives: docker load and docker save', () => {
  let base: TestImage;
  let app: TestImage;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vic-image-archive-'));
    base = await makeImage([['bin/sh', 'etc/os-release']], 'sh');
    // Shares its first layer with `base`, like two images built FROM one base.
    app = { ...(await makeImage([['bin/sh', 'etc/os-release'], ['app/run']], 'run')) };
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('loads a legacy docker save archive, names the image and reports it as docker load does', async () => {
    const store = await ImageStore.open(join(work, 'legacy'));
    const lines: JsonMessage[] = [];
    const loaded = await loadImageArchive(store, Readable.from(await legacyArchive(base, ['busybox:latest'])), (line) => lines.push(line));
    expect(loaded.ok && loaded.value).toEqual([{ id: base.id, tags: ['docker.io/library/busybox:latest'] }]);
    expect(lines.at(-1)).toEqual({ stream: 'Loaded image: busybox:latest\n' });
    const found = store.find('busybox');
    expect(found.ok && found.value.record.id).toBe(base.id);
    expect(found.ok && store.layerDisks(found.value.record).map((disk) => disk.fstype)).toEqual(['erofs']);
  });

  it('saves images in the OCI layout plus manifest.json, and the archive loads back to the same image IDs', async () => {
    const store = await ImageStore.open(join(work, 'roundtrip'));
    for (const [image, tag] of [[base, 'busybox:latest'], [app, '127.0.0.1:5000/team/app:v1']] as const) {
      const loaded = await loadImageArchive(store, Readable.from(await legacyArchive(image, [tag])));
      if (!loaded.ok) throw new Error(loaded.error.message);
    }
    const saved = await saveImageArchive(store, ['busybox', '127.0.0.1:5000/team/app:v1']);
    if (!saved.ok) throw new Error(saved.error.message);
    const bytes = Buffer.concat(await saved.value.toArray());
    const entries = await archiveEntries(Readable.from(bytes));
    expect(JSON.parse(entries.get('oci-layout')!.toString())).toEqual({ imageLayoutVersion: '1.0.0' });
    const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    expect(manifest.map((entry) => entry.RepoTags)).toEqual([['busybox:latest'], ['127.0.0.1:5000/team/app:v1']]);
    for (const [name, content] of entries) {
      if (name.startsWith('blobs/sha256/')) expect(createHash('sha256').update(content).digest('hex')).toBe(name.slice('blobs/sha256/'.length));
    }
    const index = JSON.parse(entries.get('index.json')!.toString()) as { manifests: { annotations: Record<string, string> }[] };
    expect(index.manifests.map((m) => m.annotations['io.containerd.image.name'])).toEqual(['docker.io/library/busybox:latest', '127.0.0.1:5000/team/app:v1']);

    // An OCI image layout alone (what other tools write) loads by its index.json.
    const ociOnly = await tarOf([...entries].filter(([name]) => name !== 'manifest.json').map(([name, content]) => ({ name, content })));
    const fromLayout = await loadImageArchive(await ImageStore.open(join(work, 'oci-only')), Readable.from(ociOnly));
    expect(fromLayout.ok && fromLayout.value).toEqual([
      { id: base.id, tags: ['docker.io/library/busybox:latest'] },
      { id: app.id, tags: ['127.0.0.1:5000/team/app:v1'] },
    ]);

    const fresh = await ImageStore.open(join(work, 'reloaded'));
    const reloaded = await loadImageArchive(fresh, Readable.from(bytes));
    expect(reloaded.ok && reloaded.value.map((image) => image.id)).toEqual([base.id, app.id]);
    expect(fresh.list().flatMap((image) => image.repoTags).sort()).toEqual(['127.0.0.1:5000/team/app:v1', 'busybox:latest']);
  });

  it('rmi deletes a shared layer only with the last image that uses it, then the store is empty', async () => {
    const store = await ImageStore.open(join(work, 'refcount'));
    for (const [image, tag] of [[base, 'base:1'], [app, 'app:1']] as const) {
      const loaded = await loadImageArchive(store, Readable.from(await legacyArchive(image, [tag])));
      if (!loaded.ok) throw new Error(loaded.error.message);
    }
    expect(store.layers.list()).toHaveLength(2);
    const removedApp = await store.remove('app:1');
    expect(removedApp.ok && removedApp.value).toEqual([{ Untagged: 'app:1' }, { Deleted: app.id }]);
    expect(store.layers.list().map((layer) => layer.diffId)).toEqual([base.layers[0]!.diffId]);
    const usage = await store.diskUsage();
    expect(usage).toMatchObject({ images: 1, layers: 1 });
    expect(usage.layerBytes).toBeGreaterThan(0);
    await store.remove('base:1');
    expect(store.layers.list()).toEqual([]);
    expect(readdirSync(join(work, 'refcount', 'blobs', 'sha256'))).toEqual([]);
    const gone = await store.remove('base:1');
    expect(gone.ok || gone.error.message).toBe('No such image: base:1');
  });

  it('refuses an archive that is not an image archive, or whose names climb out, and keeps the store as it was', async () => {
    const store = await ImageStore.open(join(work, 'bad'));
    const notImage = await loadImageArchive(store, Readable.from(await tarOf([{ name: 'hello.txt', content: 'hi' }])));
    expect(notImage.ok || notImage.error.message).toBe('invalid archive: it has neither manifest.json (docker save) nor index.json (OCI layout)');
    const escape = await loadImageArchive(store, Readable.from(await tarOf([{ name: '../../etc/cron.d/x', content: 'x' }])));
    expect(escape.ok || escape.error.message).toBe('invalid archive: entry "../../etc/cron.d/x" points outside the archive');
    const badLayer = await legacyArchive({ ...base, layers: [{ ...base.layers[0]!, tar: Buffer.from('not a tar at all, just text') }] }, ['bad:1']);
    const corrupt = await loadImageArchive(store, Readable.from(badLayer));
    expect(corrupt.ok || corrupt.error.message).toMatch(/^invalid archive: layer layer0\/layer.tar: /);
    expect(store.list()).toEqual([]);
    expect(readdirSync(join(work, 'bad', 'blobs', 'tmp'))).toEqual([]);
    // The failed load's blob is unreferenced; reopening the store drops it.
    await ImageStore.open(join(work, 'bad'));
    expect(readdirSync(join(work, 'bad', 'blobs', 'sha256'))).toEqual([]);
  });
});
