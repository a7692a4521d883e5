import { readFileSync } from 'node:fs';
import { buildBusyboxImage, type BuiltImage } from '@vic/sample-images';
import { MediaType } from '../../../packages/imagec/src/image/media-types';
import { pushBlob, pushManifest, sha256, type TestRegistries, type TestRegistry } from '../registry';
import { buildDebianImage, type DebianTestImage } from './debian-image';

export interface PublishedImage<T extends BuiltImage = BuiltImage> {
  repository: string;
  tag: string;
  image: T;
}

export interface PublishedIndex {
  repository: string;
  tag: string;
  digest: string;
}

export interface PublishedImages {
  /** `library/busybox`, tagged `latest` and `1.36`. */
  busybox: PublishedImage;
  debian: PublishedImage<DebianTestImage>;
  /** An OCI index: linux/amd64 → busybox, linux/arm64 → a config-only arm64 image. */
  multiarch: PublishedIndex;
  /** An OCI index with only a linux/arm64 entry. */
  armonly: PublishedIndex;
}

async function pushBuiltImage(registry: TestRegistry, repository: string, tags: string[], image: BuiltImage): Promise<void> {
  for (const layer of image.layers) await pushBlob(registry, repository, readFileSync(layer.path));
  await pushBlob(registry, repository, image.config);
  for (const tag of tags) await pushManifest(registry, repository, tag, image.manifestMediaType, image.manifest);
}

/** An arm64 image with no layers: enough for an index entry the client must pass over. */
async function pushArm64Manifest(registry: TestRegistry, repository: string): Promise<{ digest: string; size: number }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  await pushBlob(registry, repository, config);
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, size: config.length, digest: sha256(config) }, layers: [] }),
  );
  return { digest: await pushManifest(registry, repository, sha256(manifest), MediaType.ociManifest, manifest), size: manifest.length };
}

async function pushIndexOf(registry: TestRegistry, repository: string, tag: string, entries: { digest: string; size: number; mediaType: string; architecture: string }[]): Promise<PublishedIndex> {
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: entries.map(({ digest, size, mediaType, architecture }) => ({ mediaType, digest, size, platform: { os: 'linux', architecture } })),
    }),
  );
  return { repository, tag, digest: await pushManifest(registry, repository, tag, MediaType.ociIndex, index) };
}

/**
 * Builds (once per checkout) and pushes the test images to the registries' shared storage
 * through the anonymous registry. Pushing content a registry already has is cheap and harmless.
 */
export async function publishTestImages(registries: TestRegistries): Promise<PublishedImages> {
  const registry = registries.anonymous;
  const busybox = await buildBusyboxImage();
  const debian = await buildDebianImage();
  await pushBuiltImage(registry, 'library/busybox', ['latest', '1.36'], busybox);
  await pushBuiltImage(registry, 'vic/debian', ['bookworm'], debian);
  await pushBuiltImage(registry, 'vic/multiarch', [busybox.manifestDigest], busybox);
  const amd64 = { digest: busybox.manifestDigest, size: busybox.manifest.length, mediaType: busybox.manifestMediaType, architecture: 'amd64' };
  const arm64 = { ...(await pushArm64Manifest(registry, 'vic/multiarch')), mediaType: MediaType.ociManifest, architecture: 'arm64' };
  const armOnly = { ...(await pushArm64Manifest(registry, 'vic/armonly')), mediaType: MediaType.ociManifest, architecture: 'arm64' };
  return {
    busybox: { repository: 'library/busybox', tag: 'latest', image: busybox },
    debian: { repository: 'vic/debian', tag: 'bookworm', image: debian },
    multiarch: await pushIndexOf(registry, 'vic/multiarch', 'latest', [amd64, arm64]),
    armonly: await pushIndexOf(registry, 'vic/armonly', 'latest', [armOnly]),
  };
}
