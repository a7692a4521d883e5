import type { PortForward } from '../port-layer';

/** What the port layer asks of one QEMU VM. */
export interface VmSpec {
  /** Shows up in `ps` (qemu -name) and in error messages. */
  name: string;
  kernel: string;
  initrd: string;
  /** Appended to the baseline kernel command line (see kernel-cmdline.ts). */
  append?: string;
  /** Default 512. */
  memoryMiB?: number;
  /** Default 1. */
  cpus?: number;
  disks?: DiskSpec[];
  /** Virtual NICs, in PCI order. */
  nics?: NicSpec[];
  /** Host directories served by virtiofsd on these vhost-user sockets; they need the guest's memory shared. */
  sharedDirs?: SharedDirSpec[];
  /**
   * Folder for the VM's sockets and console log. When absent, the VM makes a temporary folder
   * and removes it on stop; when given, only the files the VM made inside it are removed.
   */
  workDir?: string;
  /** Default: decided once per process by the KVM probe (see accel.ts). */
  accel?: Accel;
  /**
   * The VM keeps running when the process that started it ends, so a restarted endpoint can take
   * it over (QemuVm.adopt); needs a `workDir`, where the VM's files outlive this process too.
   */
  outlive?: boolean;
}

/** A virtio-blk disk; the guest finds it by `serial` in /sys/block/<dev>/serial. */
export interface DiskSpec {
  path: string;
  readOnly: boolean;
  /** At most 20 characters: virtio-blk reports only VIRTIO_BLK_ID_BYTES of it. */
  serial: string;
  /** Default raw. */
  format?: 'raw' | 'qcow2';
}

/**
 * A virtio-net NIC: on a multicast group on the host's loopback (an L2 segment every VM in the
 * group shares), or on QEMU's user-mode network (slirp: outbound NAT and host port forwards).
 */
export type NicSpec =
  | { kind: 'multicast'; mac: string; group: string; port: number }
  | { kind: 'user'; mac: string; forwards: PortForward[] };
/** A vhost-user-fs device: the guest mounts it with `mount -t virtiofs <tag>`. */
export interface SharedDirSpec {
  tag: string;
  socketPath: string;
}

export type Accel = 'tcg' | 'kvm';

/** How the QEMU process ended. */
export interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The reason QEMU gave in its last QMP SHUTDOWN event (e.g. guest-shutdown, guest-panic, host-qmp-quit), if it got one out. */
  shutdownReason: string | null;
}
