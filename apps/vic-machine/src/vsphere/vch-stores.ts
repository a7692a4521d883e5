import { createReadStream, statSync } from 'node:fs';
import { datastorePath, DatastoreTransferError, deleteDatastoreFile, downloadFile, makeDirectory, uploadFile, type MoRef, type VimSession } from '@vic/vsphere';
import { VicMachineError } from '../errors';
import { progress } from '../progress';
import { APPLIANCE_ISO } from './appliance-vm';
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

/** The ISOs a VCH boots: the container VMs' and the appliance's. */
export interface VchIsos {
  readonly bootstrap: string;
  readonly appliance: string;
}

async function uploadIso(placement: StorePlacement, datastore: string, folder: string, what: string, file: string, name: string): Promise<void> {
  const size = statSync(file).size;
  progress(`uploading the ${what} (${(size / 1048576).toFixed(1)} MiB) to ${datastorePath(datastore, `${folder}/${name}`)}`);
  await uploadFile(placement.session, { datacenterPath: placement.datacenter.path, datastore, path: `${folder}/${name}` }, { stream: createReadStream(file), size });
}

/** The image store folder with both ISOs uploaded into it: the container VMs boot one, the appliance VM the other. */
export async function createImageStore(placement: StorePlacement, rollback: Rollback, datastore: string, folder: string, isos: VchIsos): Promise<void> {
  await makeFolder(placement, datastorePath(datastore, folder), rollback);
  await uploadIso(placement, datastore, folder, 'bootstrap ISO', isos.bootstrap, 'bootstrap.iso');
  await uploadIso(placement, datastore, folder, 'appliance ISO', isos.appliance, APPLIANCE_ISO);
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
