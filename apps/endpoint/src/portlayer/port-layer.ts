import type { ContainerConfig, DiskRef } from '@vic/protocol';
import type { TetherClient, TetherClientOptions } from '../tether-bridge/tether-client';

/** A read-only image layer disk, as the image store made it. */
export interface LayerDisk {
  path: string;
  fstype: DiskRef['fstype'];
}

/** A volume disk or a host directory a container VM mounts at `target`. */
export type VmMount =
  | { kind: 'disk'; path: string; target: string; readOnly: boolean; copyImageContent: boolean }
  | { kind: 'hostDirectory'; source: string; target: string; readOnly: boolean };

/** What one container VM is made of, whichever backend runs it. */
export interface ContainerVmRequest {
  containerId: string;
  /** Image layers, lowest first. */
  layers: LayerDisk[];
  config: Omit<ContainerConfig, 'rootfs'>;
  /** One NIC per Docker network, on that network's L2 segment; `config.networks` configures them. */
  segments?: SegmentNic[];
  /**
   * The NIC to the outside world (NAT to the host's networks, host ports forwarded in); the
   * backend adds its interface to `config.networks` (with the default route) and, when the
   * config names no DNS server, the backend's resolver. None: the VM reaches only its segments.
   */
  outbound?: { forwards: PortForward[] };
  memoryMiB?: number;
  cpus?: number;
  /** Volumes and bind mounts, parents before children. */
  mounts?: VmMount[];
}

/** A NIC on an L2 segment: the segment's multicast group on the host's loopback. */
export interface SegmentNic {
  mac: string;
  group: string;
  port: number;
  /** On vSphere: the portgroup of a container network; the bridge network's when absent. */
  portgroup?: string;
}

/** A host port the backend listens on and forwards to the container VM. */
export interface PortForward {
  protocol: 'tcp' | 'udp';
  /** The host address to listen on; 0.0.0.0 for all. */
  hostIp: string;
  hostPort: number;
  guestPort: number;
}

/** A powered-on container VM whose tether has mounted the container's root. */
export interface ContainerVmHandle {
  client: TetherClient;
  /** Resolves (never rejects) once the VM is off, however it got there. */
  poweredOff: Promise<void>;
  /** Powers the VM off now (forcibly if it will not go) and drops the channel. */
  powerOff(): Promise<void>;
  /** Hot-plugs a NIC on a segment (a network connect while the container runs). */
  plugSegment(nic: SegmentNic): Promise<void>;
  /** Unplugs the NIC with this MAC (a network disconnect while the container runs). */
  unplugSegment(mac: string): Promise<void>;
}

/** What a use of a stopped container's files does: only reads them (stat, cp out, export) or may change them (cp in). */
export type FilesystemAccess = 'read' | 'write';

/** How a restarted endpoint carries the sessions a VM it takes over already runs. */
export type SessionAdopter = NonNullable<TetherClientOptions['adoptSession']>;

/**
 * The port layer: where container VMs live. One VM per container; the container's writable disk
 * outlives its VM (a restarted container keeps its writes) until `removeContainer`.
 */
export interface PortLayer {
  /** Shown by `docker info`, e.g. "local QEMU". */
  readonly backend: string;
  powerOn(request: ContainerVmRequest): Promise<ContainerVmHandle>;
  /**
   * Runs `use` on the root file system of a container whose VM is off, assembled on the host the
   * way the guest assembles it (the image layers under the container's writable layer), and takes
   * it apart once `use` settles. Writes land in the container's writable layer, so its next start
   * sees them. The container's `mounts` are mounted at their targets inside it, so a copy into a
   * volume's path lands in the volume. The caller guarantees the VM stays off meanwhile, and that
   * no running VM has one of its volume disks. `access` says whether `use` may change files (a
   * backend that works on a copy writes it back only then); 'write' when not given.
   */
  withContainerFilesystem<T>(containerId: string, layers: LayerDisk[], use: (root: string) => Promise<T>, mounts?: VmMount[], access?: FilesystemAccess): Promise<T>;
  /** Removes every trace of the container (its VM and its writable disk). */
  removeContainer(containerId: string): Promise<void>;
  /** A volume was removed: drops the backend's own copy of its disk, if it keeps one (vSphere's VMDK). */
  removeVolume(name: string): Promise<void>;
  /** Ends every VM this port layer runs, for a clean shutdown of the endpoint. */
  powerOffAll(): Promise<void>;
  /**
   * Takes over the container's VM if it outlived the previous endpoint and still runs; null when
   * it is gone. `adoptSession` says how to carry each process the VM already runs.
   */
  adopt(containerId: string, adoptSession: SessionAdopter): Promise<ContainerVmHandle | null>;
  /** Lets go of every VM without ending it: the endpoint leaves and its successor adopts them. */
  releaseAll(): void;
}
