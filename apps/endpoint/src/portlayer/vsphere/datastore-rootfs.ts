import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withHostRootfs } from '../host-rootfs';
import type { FilesystemAccess, LayerDisk, VmMount } from '../port-layer';
import { flatExtentOf } from './datastore-files';
import { downloadExtent, replaceExtent } from './extent-transfer';
import type { VsphereTarget } from './vsphere-target';

/** A VMDK in some datastore folder: the folder's target and the file relative to it. */
export interface PlacedVmdk {
  place: VsphereTarget;
  relative: string;
}

export interface DatastoreRootfsSpec {
  target: VsphereTarget;
  /** The container's own disk, relative to the VCH's folder. */
  writableDisk: string;
  /** The image layers, lowest first: the local erofs disks the VMDKs were made from (the same bytes). */
  layers: LayerDisk[];
  mounts: VmMount[];
  /** Where a volume's VMDK is; undefined while no VM has mounted it yet (the volume store's local disk is then still the volume). */
  volumeVmdk(localDisk: string): Promise<PlacedVmdk | undefined>;
  access: FilesystemAccess;
}

/**
 * A stopped container's root on the host, for vSphere, where its disks live on a datastore: the
 * container's disk and its volumes' disks are downloaded (their flat extents, over the datastore's
 * HTTP interface), assembled with the local layer disks as the guest would, handed to `use`, and
 * uploaded back only for a 'write' use that succeeded, each replaced whole (see replaceExtent).
 * Read-only volumes are never uploaded. Export, stat and cp out upload nothing. Each disk is
 * replaced atomically, the set of them is not: a crash between two uploads of one copy (only a tar
 * reaching from the root into a volume writes to two disks) leaves the first changed, the second not.
 */
export async function withDatastoreRootfs<T>(spec: DatastoreRootfsSpec, use: (root: string) => Promise<T>): Promise<T> {
  const volumes = spec.mounts.map((mount) => {
    if (mount.kind !== 'disk') throw new Error(`host directories cannot be shared with a container VM on vSphere (-v ${mount.source}:${mount.target}): use a volume`);
    return mount;
  });
  const work = await mkdtemp(join(tmpdir(), 'vic-vsphere-rootfs-'));
  try {
    const writeBack: { vmdk: PlacedVmdk; local: string }[] = [];
    const writable = join(work, 'rw.img');
    await downloadExtent(spec.target, flatExtentOf(spec.writableDisk), writable);
    writeBack.push({ vmdk: { place: spec.target, relative: spec.writableDisk }, local: writable });
    const mounts: VmMount[] = [];
    for (const [index, mount] of volumes.entries()) {
      const vmdk = await spec.volumeVmdk(mount.path);
      if (!vmdk) {
        mounts.push(mount);
        continue;
      }
      const local = join(work, `volume${index}.img`);
      await downloadExtent(vmdk.place, flatExtentOf(vmdk.relative), local);
      if (!mount.readOnly) writeBack.push({ vmdk, local });
      mounts.push({ ...mount, path: local });
    }
    const result = await withHostRootfs(spec.layers, writable, use, mounts);
    if (spec.access === 'write') {
      for (const { vmdk, local } of writeBack) await replaceExtent(vmdk.place, flatExtentOf(vmdk.relative), local);
    }
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
