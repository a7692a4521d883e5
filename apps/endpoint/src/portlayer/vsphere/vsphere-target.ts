import type { MoRef, NicBacking, VimSession } from '@vic/vsphere';

/** Where a VCH lives in vSphere, as vic-machine made it (or a test set it up). */
export interface VsphereTarget {
  session: VimSession;
  /** The datacenter's inventory path, for datastore HTTP transfers (e.g. "DC0"). */
  datacenterPath: string;
  datacenter: MoRef;
  /** The folder new VMs go in (the datacenter's vmFolder). */
  vmFolder: MoRef;
  /** The VCH's resource pool or vApp: every container VM is created in it. */
  pool: MoRef;
  /** The image store: the datastore holding the ISO, the layer disks and the container disks. */
  datastore: string;
  /** The VCH's folder on that datastore, e.g. "my-vch". */
  storeFolder: string;
  /** The address container VMs dial to reach the endpoint's channel listeners. */
  channelHost: string;
  /**
   * The bridge network's portgroup (vic-machine --bridge-network): every Docker network of the
   * VCH is an IP network on it, as in VIC; containers without one have only loopback.
   */
  bridgeNetwork?: NicBacking;
  /** The portgroups of the VCH's container networks (--container-network), by portgroup name. */
  containerNetworks?: Record<string, NicBacking>;
  /**
   * Where the volume stores keep their VMDKs (vic-machine --volume-store datastore/path:label),
   * each by the local directory the endpoint's volume store of that label keeps its disks in.
   * A volume of no such store goes to the VCH folder's `volumes/`.
   */
  volumeStores?: VsphereVolumeStore[];
}

export interface VsphereVolumeStore {
  localDir: string;
  datastore: string;
  folder: string;
}
