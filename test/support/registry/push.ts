import { createHash, randomBytes } from 'node:crypto';
import type { Descriptor } from '../../../packages/imagec/src/image/image-types';
import { MediaType } from '../../../packages/imagec/src/image/media-types';
import { send } from './http-send';
import type { TestRegistry } from './registry-process';

export interface PushedImage {
  manifestDigest: string;
  manifestBytes: Buffer;
  configBytes: Buffer;
  layers: Descriptor[];
}


export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}


export async function pushBlob(registry: TestRegistry, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const auth = await registry.pushAuth(repo);
  const headers: Record<string, string> = auth === undefined ? {} : { authorization: auth };
  const started = await send('POST', `${registry.url}/v2/${repo}/blobs/uploads/`, headers, undefined, registry.caPem);
  if (started.status !== 202) throw new Error(`starting upload: ${started.status} ${started.body.toString()}`);
  const location = new URL(String(started.headers.location), registry.url);
  location.searchParams.set('digest', digest);
  const put = await send('PUT', location.href, { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) }, bytes, registry.caPem);
  if (put.status !== 201) throw new Error(`finishing upload: ${put.status} ${put.body.toString()}`);
  return digest;
}


export async function pushManifest(registry: TestRegistry, repo: string, reference: string, mediaType: string, bytes: Buffer): Promise<string> {
  const auth = await registry.pushAuth(repo);
  const headers: Record<string, string> = { 'content-type': mediaType, 'content-length': String(bytes.length) };
  if (auth !== undefined) headers.authorization = auth;
  const put = await send('PUT', `${registry.url}/v2/${repo}/manifests/${reference}`, headers, bytes, registry.caPem);
  if (put.status !== 201) throw new Error(`pushing manifest: ${put.status} ${put.body.toString()}`);
  return sha256(bytes);
}

/** An image whose layers are random bytes: the client never looks inside a layer. */

export async function pushImage(
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


export async function pushIndex(
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

