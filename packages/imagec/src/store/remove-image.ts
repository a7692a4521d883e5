import { familiarFromFull, familiarString, fullString } from '../reference/format-reference';
import { fail, ok, type Result } from '../result';
import type { ImageMetadata } from './image-metadata';
import type { ImageLookupErrorCode, ImageMatch } from './image-lookup';
import type { ImageRecord } from './image-record';

/** One line of `docker rmi` output, in the Engine API's `ImageDeleteResponseItem` shape. */
export type ImageDeleteItem = { Untagged: string } | { Deleted: string };

export type ImageRemoveErrorCode = ImageLookupErrorCode | 'IMAGE_CONFLICT';

export interface RemovePlan {
  items: ImageDeleteItem[];
  /** Set when the image itself goes, not just a name. */
  deleteImage?: ImageRecord;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}


/**
 * Untags and decides whether the image itself goes, with dockerd's rules (image_delete.go):
 * removing a name removes only that name while others remain; removing by ID needs `force`
 * when more than one repository names the image.
 */
export async function removeImageNames(
  metadata: ImageMetadata,
  match: ImageMatch,
  force: boolean,
): Promise<Result<RemovePlan, ImageRemoveErrorCode>> {
  const { record } = match;
  const items: ImageDeleteItem[] = [];
  const tags = metadata.tagsOf(record.id);
  if (match.reference) {
    const reference = match.reference;
    if (reference.digest === undefined) {
      await metadata.untag(fullString(reference));
    } else {
      const digestRef = fullString({ ...reference, tag: undefined });
      await metadata.put({ ...record, repoDigests: record.repoDigests.filter((ref) => ref !== digestRef) });
    }
    items.push({ Untagged: familiarString(reference) });
    if (metadata.tagsOf(record.id).length > 0) return ok({ items });
  } else {
    const repositories = new Set(tags.map((tag) => tag.slice(0, tag.lastIndexOf(':'))));
    if (repositories.size > 1 && !force) {
      return fail('IMAGE_CONFLICT', `conflict: unable to delete ${shortId(record.id)} (must be forced) - image is referenced in multiple repositories`);
    }
    for (const tag of tags) {
      await metadata.untag(tag);
      items.push({ Untagged: familiarFromFull(tag) });
    }
  }
  // Digest references alone do not keep an image once its names are gone (dockerd drops them too).
  const current = metadata.get(record.id) ?? record;
  for (const ref of current.repoDigests) items.push({ Untagged: familiarFromFull(ref) });
  items.push({ Deleted: record.id });
  return ok({ items, deleteImage: current });
}
