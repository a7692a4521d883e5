import { chmodSync, copyFileSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { log } from '../log';

/** Gives `target` the owner, mode and times of `source` (after its contents, whose writes would move its mtime). */
export function copyMetadata(source: Stats, target: string): void {
  lchownSync(target, source.uid, source.gid);
  if (!source.isSymbolicLink()) chmodSync(target, source.mode & 0o7777);
  lutimesSync(target, source.atime, source.mtime);
}

/**
 * Copies the contents of directory `from` into the existing directory `to`, keeping owners,
 * modes, times and symbolic links, as dockerd copies an image's content into a new volume.
 * Devices, sockets and fifos are left out (Node cannot make them) and logged.
 */
export function copyTree(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const target = join(to, name);
    const stat = lstatSync(source);
    if (stat.isDirectory()) {
      mkdirSync(target);
      copyTree(source, target);
    } else if (stat.isFile()) copyFileSync(source, target);
    else if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else {
      log(`volume copy: ${source} is a device, socket or fifo; not copied`);
      continue;
    }
    copyMetadata(stat, target);
  }
}
