/** The label dockerd puts on a volume it made for a container (`-v /path`, an image's VOLUME): `rm -v` and prune take those. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** Drivers that make a volume a disk of its own: `local` as dockerd names it, `vsphere` as VIC did. */
export const VOLUME_DRIVERS = ['local', 'vsphere'] as const;
export type VolumeDriver = (typeof VOLUME_DRIVERS)[number];

/** One volume as the VCH keeps it on disk (`volumes/records/<name>.json`); its data is the disk at `disk`. */
export interface VolumeRecord {
  /** The volume's name (the record directory's key). */
  id: string;
  driver: VolumeDriver;
  createdAt: string;
  labels: Record<string, string>;
  /** The driver options as given (`Capacity`), shown by inspect. */
  options: Record<string, string>;
  capacityMiB: number;
  /** The label of the volume store its disk is in (`VolumeStore` option, "default" when not given). */
  store?: string;
  /** The ext4 disk file holding the volume's data. */
  disk: string;
}

/** Where a container has a volume or a host directory, as its record keeps it. */
export type MountPoint =
  | {
      type: 'volume';
      name: string;
      target: string;
      readOnly: boolean;
      anonymous: boolean;
      /** Not `nocopy`: an empty volume takes what the image has at the target. */
      copyImageContent: boolean;
    }
  | { type: 'bind'; source: string; target: string; readOnly: boolean };
