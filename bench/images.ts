/**
 * Issue 3's figures, each against a floor measured in the same run:
 *   1. `pull` throughput (download, verify, convert, name) ÷ raw blob download throughput from the
 *      same registry with the same parallelism (plain HTTP GETs, bytes discarded);
 *   2. layer conversion time per MB of layer content, unpack and mkfs separately.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { buildLayerDisk } from '../packages/imagec/src/layers/layer-disk';
import { unpackLayer } from '../packages/imagec/src/layers/unpack-layer';
import { pullImage } from '../packages/imagec/src/pull/pull-image';
import { RegistryClient } from '../packages/imagec/src/registry/registry-client';
import { ImageStore } from '../packages/imagec/src/store/image-store';
import { buildDebianImage, publishTestImages } from '../test/support/images';
import { startTestRegistries } from '../test/support/registry';
import { median } from './measure';

const PARALLEL_DOWNLOADS = 3;

function discardBlob(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`GET ${url}: ${response.statusCode}`));
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve(bytes));
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** All blobs, at most three at a time (the pull's default), bytes thrown away. */
async function rawDownloadSeconds(urls: string[]): Promise<number> {
  const started = performance.now();
  const queue = [...urls];
  await Promise.all(
    Array.from({ length: PARALLEL_DOWNLOADS }, async () => {
      for (let url = queue.shift(); url !== undefined; url = queue.shift()) await discardBlob(url);
    }),
  );
  return (performance.now() - started) / 1000;
}

async function pullSeconds(reference: string, work: string): Promise<number> {
  const root = join(work, `store-${Math.random().toString(16).slice(2)}`);
  const store = await ImageStore.open(root);
  const client = new RegistryClient({ insecureRegistries: ['127.0.0.0/8'] });
  try {
    const started = performance.now();
    const pulled = await pullImage(store, client, reference);
    if (!pulled.ok) throw new Error(pulled.error.message);
    return (performance.now() - started) / 1000;
  } finally {
    client.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** Seconds to unpack (into the tmpfs scratch the layer store uses) and to build the disk of one gzip layer. */
async function conversionSeconds(blobPath: string, work: string): Promise<{ unpack: number; mkfs: number; megabytes: number }> {
  const tree = await mkdtemp(join('/dev/shm', 'vic-bench-tree-'));
  const startedUnpack = performance.now();
  const unpacked = await unpackLayer(createReadStream(blobPath).pipe(createGunzip()), tree, 'bench');
  if (!unpacked.ok) throw new Error(unpacked.error.message);
  const startedMkfs = performance.now();
  await buildLayerDisk(tree, join(work, 'disk.erofs'));
  const done = performance.now();
  await rm(tree, { recursive: true, force: true });
  await rm(join(work, 'disk.erofs'), { force: true });
  return { unpack: (startedMkfs - startedUnpack) / 1000, mkfs: (done - startedMkfs) / 1000, megabytes: unpacked.value.contentBytes / 1e6 };
}

export async function runImageBench(runs: number): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'vic-bench-images-'));
  const registries = await startTestRegistries();
  try {
    const published = await publishTestImages(registries);
    const debian = await buildDebianImage();
    const registry = registries.anonymous;
    const reference = `${registry.host}/${published.debian.repository}:${published.debian.tag}`;
    const urls = debian.layers.map((layer) => `${registry.url}/v2/${published.debian.repository}/blobs/${layer.digest}`);
    const blobBytes = debian.layers.reduce((sum, layer) => sum + layer.size, 0);
    const raw: number[] = [];
    const pull: number[] = [];
    for (let i = 0; i < runs; i++) {
      raw.push(await rawDownloadSeconds(urls));
      pull.push(await pullSeconds(reference, work));
    }
    const base = debian.layers[0]!;
    const conversions = [];
    for (let i = 0; i < Math.min(runs, 3); i++) conversions.push(await conversionSeconds(base.path, work));
    const megabytes = conversions[0]!.megabytes;
    const unpack = median(conversions.map((c) => c.unpack));
    const mkfs = median(conversions.map((c) => c.mkfs));
    const mbps = (seconds: number) => `${(blobBytes / seconds / 1e6).toFixed(1)} MB/s`;
    console.log(
      `pull throughput:      pull ${mbps(median(pull))} (incl. layer conversion), raw blob download ${mbps(median(raw))} ` +
        `(${(blobBytes / 1e6).toFixed(1)} MB compressed, ${debian.layers.length} layers, medians of ${runs}) -> ratio ${(median(raw) / median(pull)).toFixed(2)}`,
    );
    console.log(
      `layer conversion:     ${(((unpack + mkfs) / megabytes) * 1000).toFixed(1)} ms/MB (unpack ${((unpack / megabytes) * 1000).toFixed(1)} ms/MB, ` +
        `mkfs.erofs ${((mkfs / megabytes) * 1000).toFixed(1)} ms/MB; debootstrap base layer, ${megabytes.toFixed(1)} MB of content, medians of ${conversions.length})`,
    );
  } finally {
    await registries.stop();
    await rm(work, { recursive: true, force: true });
  }
}
