import { existsSync, lstatSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MountSpec } from '@vic/protocol';
import { native } from '../sys/native';
import { copyMetadata, copyTree } from './copy-tree';
import { findDiskBySerial } from './find-disk';
import { resolveInRoot } from './resolve-in-root';

/** Where volume disks are mounted before they are bound into the container's root. */
const VOLUMES_DIR = '/.vic/volumes';
/** mke2fs makes it; dockerd's volumes start empty, so a volume holding only an empty one counts as empty. */
const LOST_AND_FOUND = 'lost+found';

/** The target inside `root`, symbolic links followed within it; the endpoint sends absolute, clean paths, and this refuses anything else. */
function pathInRoot(root: string, target: string): string {
  if (!target.startsWith('/') || target.split('/').includes('..')) throw new Error(`mount target ${JSON.stringify(target)} must be an absolute path without '..'`);
  return resolveInRoot(root, target);
}

/** Empties a fresh volume of its lost+found; true when nothing else is in it. */
function isEmptyVolume(dir: string): boolean {
  const entries = readdirSync(dir);
  if (entries.length === 1 && entries[0] === LOST_AND_FOUND && readdirSync(join(dir, LOST_AND_FOUND)).length === 0) {
    rmdirSync(join(dir, LOST_AND_FOUND));
    return true;
  }
  return entries.length === 0;
}

/**
 * A volume disk: mounted read-write on its own first, so that an empty volume can take what the
 * image has at the target (with the directory's owner and mode, as dockerd copies them), then
 * bound at the target, read-only when asked.
 */
async function mountDiskVolume(spec: Extract<MountSpec, { kind: 'disk' }>, index: number, target: string): Promise<void> {
  const device = await findDiskBySerial(spec.serial);
  const staging = `${VOLUMES_DIR}/${index}`;
  mkdirSync(staging, { recursive: true });
  native.mount(device, staging, spec.fstype, 0, '');
  const imageHasTarget = existsSync(target) && lstatSync(target).isDirectory();
  if (isEmptyVolume(staging) && spec.copyImageContent && imageHasTarget) {
    copyTree(target, staging);
    copyMetadata(lstatSync(target), staging);
  }
  mkdirSync(target, { recursive: true });
  native.mount(staging, target, '', native.MS_BIND, '');
  if (spec.readOnly) native.mount('', target, '', native.MS_REMOUNT | native.MS_BIND | native.MS_RDONLY, '');
}

/** Mounts each volume and bind mount at its target inside `root`, in order. */
export async function mountVolumes(root: string, mounts: MountSpec[]): Promise<void> {
  for (const [index, spec] of mounts.entries()) {
    const target = pathInRoot(root, spec.target);
    if (spec.kind === 'disk') await mountDiskVolume(spec, index, target);
    else {
      mkdirSync(target, { recursive: true });
      native.mount(spec.tag, target, 'virtiofs', spec.readOnly ? native.MS_RDONLY : 0, '');
    }
  }
}
