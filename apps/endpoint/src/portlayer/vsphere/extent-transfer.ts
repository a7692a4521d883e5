import type { IncomingMessage } from 'node:http';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { downloadFile, moveDatastoreFile, uploadFile } from '@vic/vsphere';
import { storeFile, storePath } from './datastore-files';
import type { VsphereTarget } from './vsphere-target';

const ZEROS = Buffer.alloc(1 << 20);

function isZero(chunk: Buffer): boolean {
  for (let offset = 0; offset < chunk.length; offset += ZEROS.length) {
    const part = chunk.subarray(offset, offset + ZEROS.length);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

/**
 * Copies a flat extent (a disk's raw bytes) from the datastore to a local file, sparse: zero runs
 * are skipped, not written, so a container's mostly empty disk costs locally only what it holds.
 * A download that ends short of the length the server announced fails.
 */
export async function downloadExtent(target: VsphereTarget, relative: string, localPath: string): Promise<void> {
  const response = (await downloadFile(target.session, storeFile(target, relative))) as IncomingMessage;
  const announced = Number(response.headers['content-length']);
  const file = await open(localPath, 'w');
  try {
    let position = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (!isZero(chunk)) await file.write(chunk, 0, chunk.length, position);
      position += chunk.length;
    }
    if (Number.isFinite(announced) && position !== announced) throw new Error(`download of ${storePath(target, relative)} ended at ${position} of ${announced} bytes`);
    await file.truncate(position);
  } finally {
    await file.close();
  }
}

/**
 * Replaces a flat extent on the datastore with a local file's bytes, never leaving it half written:
 * the bytes go to a file beside it first, and only a complete upload is moved over the extent (a
 * rename on the datastore, MoveDatastoreFile_Task). A crash before the move leaves the disk as it
 * was (and a stale `.partial` file the next upload overwrites); the disk's descriptor is untouched,
 * since it names the extent, not its bytes.
 */
export async function replaceExtent(target: VsphereTarget, relative: string, localPath: string): Promise<void> {
  const partial = `${relative}.partial`;
  const { size } = await stat(localPath);
  await uploadFile(target.session, storeFile(target, partial), { stream: createReadStream(localPath), size });
  await moveDatastoreFile(target.session, { from: storePath(target, partial), to: storePath(target, relative), datacenter: target.datacenter, force: true });
}
