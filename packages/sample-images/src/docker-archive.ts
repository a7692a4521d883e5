import { readFileSync, writeFileSync } from 'node:fs';
import type { DockerArchiveManifestEntry } from '@vic/imagec';
import type { BuiltImage } from './built-image';
import { tarOf } from './layer-tar';

function blobPath(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

/**
 * Writes `image` as a `docker save` archive that `docker load -i` names `repoTag`: a manifest.json
 * whose config and gzip layers sit at the blob paths Docker 25+ uses. The archive is assembled in
 * memory, which suits the small sample images this package builds.
 */
export async function writeDockerArchive(image: BuiltImage, repoTag: string, path: string): Promise<void> {
  const manifest: DockerArchiveManifestEntry[] = [
    { Config: blobPath(image.configDigest), RepoTags: [repoTag], Layers: image.layers.map((layer) => blobPath(layer.digest)) },
  ];
  const archive = await tarOf([
    { name: 'manifest.json', content: JSON.stringify(manifest), mode: 0o644 },
    { name: blobPath(image.configDigest), content: image.config, mode: 0o644 },
    ...image.layers.map((layer) => ({ name: blobPath(layer.digest), content: readFileSync(layer.path), mode: 0o644 })),
  ]);
  writeFileSync(path, archive);
}
