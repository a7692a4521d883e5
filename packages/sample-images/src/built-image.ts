import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { MediaType, type ImageConfig } from '@vic/imagec';

export interface BuiltLayer {
  /** The gzip blob on disk. */
  path: string;
  digest: string;
  size: number;
  /** Digest of the uncompressed tar. */
  diffId: string;
  mediaType: string;
}

/** A Docker schema 2 image as a registry would store it: config, manifest and gzip layers. */
export interface BuiltImage {
  name: string;
  config: Buffer;
  configDigest: string;
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  layers: BuiltLayer[];
}

/** In the checkout, not the working directory: `npm start` and the tests share one cache. */
const CACHE = fileURLToPath(new URL('../../../.cache/test-images', import.meta.url));

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * The image `name` built once per checkout and kept under .cache/test-images, keyed by `inputs`
 * (what the build depends on). The build writes into a temp dir that is renamed into place only
 * when complete, so an interrupted build leaves nothing half-made.
 */
export async function cachedImage(
  name: string,
  inputs: string,
  build: () => Promise<{ layerTars: Buffer[]; config: Omit<ImageConfig, 'rootfs'> }>,
): Promise<BuiltImage> {
  const dir = join(CACHE, `${name}-${createHash('sha256').update(inputs).digest('hex').slice(0, 16)}`);
  if (!existsSync(join(dir, 'image.json'))) {
    mkdirSync(CACHE, { recursive: true });
    const partial = `${dir}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial);
    const { layerTars, config } = await build();
    writeImage(partial, name, layerTars, config);
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  }
  return readImage(dir);
}

function writeImage(dir: string, name: string, layerTars: Buffer[], config: Omit<ImageConfig, 'rootfs'>): void {
  const layers = layerTars.map((tar, index) => {
    const blob = gzipSync(tar);
    writeFileSync(join(dir, `layer-${index}.tar.gz`), blob);
    return { file: `layer-${index}.tar.gz`, digest: sha256(blob), size: blob.length, diffId: sha256(tar), mediaType: MediaType.dockerLayerGzip };
  });
  const configBytes = Buffer.from(JSON.stringify({ ...config, rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, size: configBytes.length, digest: sha256(configBytes) },
      layers: layers.map(({ mediaType, size, digest }) => ({ mediaType, size, digest })),
    }),
  );
  writeFileSync(join(dir, 'config.json'), configBytes);
  writeFileSync(join(dir, 'manifest.json'), manifest);
  writeFileSync(join(dir, 'image.json'), JSON.stringify({ name, layers }));
}

function readImage(dir: string): BuiltImage {
  const meta = JSON.parse(readFileSync(join(dir, 'image.json'), 'utf8')) as { name: string; layers: (Omit<BuiltLayer, 'path'> & { file: string })[] };
  const config = readFileSync(join(dir, 'config.json'));
  const manifest = readFileSync(join(dir, 'manifest.json'));
  return {
    name: meta.name,
    config,
    configDigest: sha256(config),
    manifest,
    manifestDigest: sha256(manifest),
    manifestMediaType: MediaType.dockerManifest,
    layers: meta.layers.map(({ file, ...layer }) => ({ ...layer, path: join(dir, file) })),
  };
}
