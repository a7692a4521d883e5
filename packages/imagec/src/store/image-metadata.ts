import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDigest } from '../digest';
import { syncDirectory, writeFileAtomic } from './atomic-file';
import type { ImageRecord } from './image-record';

interface RepositoriesFile {
  /** Full reference (`docker.io/library/busybox:latest`) → image ID. */
  tags: Record<string, string>;
}

/**
 * Image records and tags on disk. Every change is one atomic file replacement, and records are
 * written before the tags that point at them, so a crash never leaves a tag to a missing image.
 */
export class ImageMetadata {
  private readonly records = new Map<string, ImageRecord>();
  private tags: Record<string, string> = {};

  private constructor(private readonly root: string) {}

  static async open(root: string): Promise<ImageMetadata> {
    const metadata = new ImageMetadata(root);
    await mkdir(metadata.recordsDir, { recursive: true });
    for (const name of await readdir(metadata.recordsDir)) {
      if (!name.endsWith('.json')) continue;
      const record = JSON.parse(await readFile(join(metadata.recordsDir, name), 'utf8')) as ImageRecord;
      metadata.records.set(record.id, record);
    }
    const repositories = await readFile(metadata.repositoriesFile, 'utf8').then(
      (text) => JSON.parse(text) as RepositoriesFile,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return { tags: {} };
        throw error;
      },
    );
    // A tag whose image vanished (its record was removed before the tag file was rewritten) is dropped.
    metadata.tags = Object.fromEntries(Object.entries(repositories.tags).filter(([, id]) => metadata.records.has(id)));
    return metadata;
  }

  private get recordsDir(): string {
    return join(this.root, 'sha256');
  }

  private get repositoriesFile(): string {
    return join(this.root, 'repositories.json');
  }

  private recordPath(id: string): string {
    const digest = parseDigest(id);
    if (!digest.ok) throw new Error(`invalid image ID ${JSON.stringify(id)}: ${digest.error.message}`);
    return join(this.recordsDir, `${digest.value.encoded}.json`);
  }

  get(id: string): ImageRecord | undefined {
    return this.records.get(id);
  }

  all(): ImageRecord[] {
    return [...this.records.values()];
  }

  async put(record: ImageRecord): Promise<void> {
    await writeFileAtomic(this.recordPath(record.id), JSON.stringify(record, null, 1));
    this.records.set(record.id, record);
  }

  async remove(id: string): Promise<void> {
    const tagsLeft = Object.fromEntries(Object.entries(this.tags).filter(([, target]) => target !== id));
    await this.writeTags(tagsLeft);
    await rm(this.recordPath(id), { force: true });
    await syncDirectory(this.recordsDir);
    this.records.delete(id);
  }

  /** Image ID a full tag reference points at. */
  tagTarget(fullReference: string): string | undefined {
    return this.tags[fullReference];
  }

  /** Full tag references pointing at `id`, sorted. */
  tagsOf(id: string): string[] {
    return Object.entries(this.tags)
      .filter(([, target]) => target === id)
      .map(([reference]) => reference)
      .sort();
  }

  /** Points `fullReference` at `id`, moving it from any image it named before. */
  async tag(fullReference: string, id: string): Promise<void> {
    if (!this.records.has(id)) throw new Error(`cannot tag ${fullReference}: no image ${id}`);
    await this.writeTags({ ...this.tags, [fullReference]: id });
  }

  async untag(fullReference: string): Promise<void> {
    const { [fullReference]: _removed, ...rest } = this.tags;
    await this.writeTags(rest);
  }

  /** How many images use the layer: it may be deleted from the layer store only at zero. */
  layerReferences(diffId: string): number {
    return this.all().filter((record) => record.layers.some((layer) => layer.diffId === diffId)).length;
  }

  /** How many images keep the blob (a manifest, config or layer blob). */
  blobReferences(digest: string): number {
    return this.all().filter(
      (record) => record.id === digest || record.manifest?.digest === digest || record.layers.some((layer) => layer.blob?.digest === digest),
    ).length;
  }

  private async writeTags(tags: Record<string, string>): Promise<void> {
    const sorted = Object.fromEntries(Object.entries(tags).sort(([a], [b]) => a.localeCompare(b)));
    await writeFileAtomic(this.repositoriesFile, JSON.stringify({ tags: sorted } satisfies RepositoriesFile, null, 1));
    this.tags = sorted;
  }
}
