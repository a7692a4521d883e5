import { createReadStream, statSync } from 'node:fs';
import { datastorePath, DatastoreTransferError, deleteDatastoreFile, downloadFile, makeDirectory, uploadFile, type MoRef, type VimSession } from '@vic/vsphere';
import { VicMachineError } from '../errors';
import { progress } from '../progress';
import type { Rollback } from './rollback';
import type { VolumeStore } from './vsphere-vch';

export interface StorePlacement {
  readonly session: VimSession;
  readonly datacenter: { readonly ref: MoRef; readonly path: string };
}

/**
 * Whether a datastore folder exists, by GETting its listing over the datastore HTTP interface
 * (MakeDirectory cannot tell: vcsim's succeeds on an existing folder).
 */
async function folderExists({ session, datacenter }: StorePlacement, datastore: string, folder: string): Promise<boolean> {
  try {
    (await downloadFile(session, { datacenterPath: datacenter.path, datastore, path: `${folder}/` })).destroy();
    return true;
  } catch (error) {
    if (error instanceof DatastoreTransferError && error.statusCode === 404) return false;
    throw error;
  }
}

/** Prerequisite: the image store folder is new (another VCH's would be shared, then deleted with it). */
export async function checkImageStoreFree(placement: StorePlacement, datastore: string, folder: string): Promise<void> {
  if (await folderExists(placement, datastore, folder)) {
    throw new VicMachineError(`${datastorePath(datastore, folder)} already exists: it may belong to another VCH; give --image-store a path of its own`);
  }
}

async function makeFolder({ session, datacenter }: StorePlacement, path: string, rollback: Rollback): Promise<void> {
  await makeDirectory(session, path, datacenter.ref);
  rollback.add(`folder ${path}`, () => deleteDatastoreFile(session, path, datacenter.ref));
}

/** The image store folder with the bootstrap ISO uploaded into it (the container VMs boot it). */
export async function createImageStore(placement: StorePlacement, rollback: Rollback, datastore: string, folder: string, iso: string): Promise<void> {
  const path = datastorePath(datastore, folder);
  await makeFolder(placement, path, rollback);
  const size = statSync(iso).size;
  progress(`uploading the bootstrap ISO (${(size / 1048576).toFixed(1)} MiB) to ${path}`);
  await uploadFile(placement.session, { datacenterPath: placement.datacenter.path, datastore, path: `${folder}/bootstrap.iso` }, { stream: createReadStream(iso), size });
}

/** A folder per volume store; one that exists already is used as it is and never removed by a rollback: it holds data. */
export async function createVolumeStores(placement: StorePlacement, rollback: Rollback, stores: readonly VolumeStore[]): Promise<void> {
  for (const store of stores) {
    const path = datastorePath(store.datastore, store.path);
    if (await folderExists(placement, store.datastore, store.path)) {
      progress(`volume store ${store.label}: using the existing ${path}`);
      continue;
    }
    progress(`creating volume store ${store.label} at ${path}`);
    await makeFolder(placement, path, rollback);
  }
}
