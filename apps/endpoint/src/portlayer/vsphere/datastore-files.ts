import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DatastoreTransferError, datastorePath, type DatastoreFile, downloadFile, makeDirectory, uploadFile, VimFault } from '@vic/vsphere';
import type { VsphereTarget } from './vsphere-target';

const run = promisify(execFile);
const CONVERT_TIMEOUT_MS = 10 * 60_000;

/** The datastore path ("[ds] folder/relative") of a file in the VCH's folder. */
export function storePath(target: VsphereTarget, relative: string): string {
  return datastorePath(target.datastore, `${target.storeFolder}/${relative}`);
}

/** A file in the VCH's folder, as the datastore HTTP interface addresses it. */
export function storeFile(target: VsphereTarget, relative: string): DatastoreFile {
  return { datacenterPath: target.datacenterPath, datastore: target.datastore, path: `${target.storeFolder}/${relative}` };
}

export async function storeFileExists(target: VsphereTarget, relative: string): Promise<boolean> {
  try {
    (await downloadFile(target.session, storeFile(target, relative))).destroy();
    return true;
  } catch (error) {
    if (error instanceof DatastoreTransferError && error.statusCode === 404) return false;
    throw error;
  }
}

/** Makes a folder (and its parents) in the VCH's folder; one that exists is fine. */
export async function ensureStoreFolder(target: VsphereTarget, relative: string): Promise<void> {
  await makeDirectory(target.session, storePath(target, relative), target.datacenter).catch((error: unknown) => {
    if (!(error instanceof VimFault && error.faultName === 'FileAlreadyExists')) throw error;
  });
}

/** Uploads a local file into the VCH's folder (its parent folders made first). */
export async function uploadToStore(target: VsphereTarget, localPath: string, relative: string): Promise<void> {
  await ensureStoreFolder(target, relative.includes('/') ? relative.slice(0, relative.lastIndexOf('/')) : '');
  const { size } = await stat(localPath);
  await uploadFile(target.session, storeFile(target, relative), { stream: createReadStream(localPath), size });
}

/** The data file of a flat VMDK: vSphere keeps a disk as a descriptor `x.vmdk` and its extent `x-flat.vmdk`. */
export function flatExtentOf(vmdk: string): string {
  return vmdk.replace(/\.vmdk$/, '-flat.vmdk');
}

/**
 * Uploads a raw disk image as a VMDK the way vSphere stores one (qemu-img's monolithicFlat: a
 * descriptor and a flat extent holding the raw bytes), to `relative` and its `-flat.vmdk`.
 */
export async function uploadAsVmdk(target: VsphereTarget, rawImage: string, relative: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'vic-vmdk-'));
  try {
    const vmdk = join(work, 'disk.vmdk');
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicFlat', rawImage, vmdk], { timeout: CONVERT_TIMEOUT_MS });
    const extent = flatExtentOf(relative);
    // The descriptor names its extent; it is uploaded under the name vSphere gives it.
    const descriptor = (await readFile(vmdk, 'utf8')).replace('"disk-flat.vmdk"', `"${extent.slice(extent.lastIndexOf('/') + 1)}"`);
    await writeFile(vmdk, descriptor);
    await uploadToStore(target, flatExtentOf(vmdk), extent);
    await uploadToStore(target, vmdk, relative);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
