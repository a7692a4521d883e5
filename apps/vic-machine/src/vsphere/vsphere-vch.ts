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
 * What vch.json keeps of a vSphere VCH on the machine that created it: enough to tell it from a local
 * VCH and from another VCH of that name. Everything else is in the inventory (vch-record.ts,
 * appliance-config.ts); the folder itself holds the docker client's certificates.
 */
export interface VsphereVch {
  /** https://host[:port]/sdk. */
  readonly sdkUrl: string;
  /** The compute resource's pool the vApp was made in, as an inventory path. */
  readonly computeResource: string;
  /** The VCH's own pool: a vApp on vCenter, a resource pool on ESXi (vch-pool.ts). */
  readonly pool: MoRef;
}
