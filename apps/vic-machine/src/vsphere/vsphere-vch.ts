import type { ContainerNetwork } from './container-network-flag';
import type { MoRef } from '@vic/vsphere';

/** A volume store: VIC's `--volume-store datastore/path:label`. */
export interface VolumeStore {
  readonly label: string;
  readonly datastore: string;
  readonly path: string;
}

/** CPU (MHz) and memory (MB) limits of the VCH's vApp; absent means unlimited. */
export interface VchLimits {
  readonly cpuMHz?: number;
  readonly memoryMB?: number;
}

/**
 * Where a VCH lives in vSphere: what vch.json keeps (so `start` can give the endpoint its
 * --vsphere-* flags) and what the endpoint VM's extraConfig records (vch-record.ts).
 */
export interface VsphereVch {
  /** https://host[:port]/sdk. */
  readonly sdkUrl: string;
  readonly username: string;
  /** The pinned certificate (--thumbprint), or none when --force accepted any. */
  readonly thumbprint?: string;
  readonly insecure: boolean;
  readonly datacenter: string;
  /** The compute resource's pool the vApp was made in, as an inventory path. */
  readonly computeResource: string;
  /** The VCH's own pool: a vApp on vCenter, a resource pool on ESXi (vch-pool.ts). */
  readonly pool: MoRef;
  readonly endpointVm: MoRef;
  /** The image store: bootstrap ISO, layer disks and container VM folders. */
  readonly datastore: string;
  readonly storeFolder: string;
  readonly volumeStores: readonly VolumeStore[];
  readonly publicNetwork: string;
  readonly bridgeNetwork?: string;
  /** Portgroups offered to containers as Docker networks. */
  readonly containerNetworks?: readonly ContainerNetwork[];
  readonly limits: VchLimits;
}
