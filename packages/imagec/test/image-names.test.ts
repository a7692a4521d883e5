import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lookupImage } from '../src/store/image-lookup';
import { ImageMetadata } from '../src/store/image-metadata';
import type { ImageRecord } from '../src/store/image-record';
import { removeImageNames } from '../src/store/remove-image';

const idA = `sha256:${'a'.repeat(63)}1`;
const idB = `sha256:${'b'.repeat(64)}`;

function record(id: string, diffIds: string[], repoDigests: string[] = []): ImageRecord {
  return {
    id,
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } },
    layers: diffIds.map((diffId) => ({ diffId })),
    repoDigests,
    size: 0,
    addedAt: new Date(0).toISOString(),
  };
}

describe('image names: lookup, tags and removal as dockerd does them', () => {
  let dir: string;
  let metadata: ImageMetadata;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vic-image-names-'));
    metadata = await ImageMetadata.open(dir);
    await metadata.put(record(idA, ['sha256:l1', 'sha256:l2'], [`127.0.0.1:5000/team/app@sha256:${'c'.repeat(64)}`]));
    await metadata.put(record(idB, ['sha256:l1']));
    await metadata.tag('docker.io/library/busybox:latest', idA);
    await metadata.tag('docker.io/library/busybox:1.35', idA);
    await metadata.tag('127.0.0.1:5000/team/app:v1', idB);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds an image by familiar name, full name, digest reference, full ID and unique ID prefix', () => {
    const found = (input: string) => {
      const result = lookupImage(metadata, input);
      return result.ok ? result.value.record.id : result.error.message;
    };
    expect(found('busybox')).toBe(idA);
    expect(found('docker.io/library/busybox:1.35')).toBe(idA);
    expect(found(`127.0.0.1:5000/team/app@sha256:${'c'.repeat(64)}`)).toBe(idA);
    expect(found(idB)).toBe(idB);
    expect(found('b'.repeat(64))).toBe(idB);
    expect(found('bbbb')).toBe(idB);
    expect(found('sha256:aaa')).toBe(idA);
  });

  it('answers an unknown image with dockerd\'s wording, and an invalid one with the reference error', () => {
    const unknown = lookupImage(metadata, 'nosuch');
    expect(unknown.ok || unknown.error.message).toBe('No such image: nosuch:latest');
    const invalid = lookupImage(metadata, 'Bad/Name');
    expect(invalid.ok || invalid.error.message).toMatch(/invalid reference format/);
  });

  it('tags and records survive reopening the store', async () => {
    const reopened = await ImageMetadata.open(dir);
    expect(reopened.tagsOf(idA)).toEqual(['docker.io/library/busybox:1.35', 'docker.io/library/busybox:latest']);
    expect(reopened.get(idB)?.layers).toEqual([{ diffId: 'sha256:l1' }]);
    expect(reopened.layerReferences('sha256:l1')).toBe(2);
    expect(reopened.layerReferences('sha256:l2')).toBe(1);
  });

  it('removing one of two tags only untags', async () => {
    const match = lookupImage(metadata, 'busybox:1.35');
    if (!match.ok) throw new Error(match.error.message);
    const plan = await removeImageNames(metadata, match.value, false);
    expect(plan.ok && plan.value).toEqual({ items: [{ Untagged: 'busybox:1.35' }] });
    expect(metadata.tagsOf(idA)).toEqual(['docker.io/library/busybox:latest']);
  });

  it('removing the last tag deletes the image and its digest references', async () => {
    const match = lookupImage(metadata, '127.0.0.1:5000/team/app:v1');
    if (!match.ok) throw new Error(match.error.message);
    const plan = await removeImageNames(metadata, match.value, false);
    expect(plan.ok && plan.value.items).toEqual([{ Untagged: '127.0.0.1:5000/team/app:v1' }, { Deleted: idB }]);
    expect(plan.ok && plan.value.deleteImage?.id).toBe(idB);
  });

  it('removing by ID an image named in two repositories needs force', async () => {
    await metadata.tag('127.0.0.1:5000/mirror/busybox:latest', idA);
    const match = lookupImage(metadata, idA);
    if (!match.ok) throw new Error(match.error.message);
    const refused = await removeImageNames(metadata, match.value, false);
    expect(refused.ok || refused.error.message).toBe(
      `conflict: unable to delete ${'a'.repeat(12)} (must be forced) - image is referenced in multiple repositories`,
    );
    expect(metadata.tagsOf(idA)).toHaveLength(3);
    const forced = await removeImageNames(metadata, match.value, true);
    expect(forced.ok && forced.value.items.at(-1)).toEqual({ Deleted: idA });
    expect(metadata.tagsOf(idA)).toEqual([]);
  });

  it('a tag left pointing at a vanished record (a crash between two writes) is dropped on open', async () => {
    rmSync(join(dir, 'sha256', `${'b'.repeat(64)}.json`));
    const reopened = await ImageMetadata.open(dir);
    expect(reopened.tagTarget('127.0.0.1:5000/team/app:v1')).toBeUndefined();
    expect(reopened.get(idB)).toBeUndefined();
  });
});
