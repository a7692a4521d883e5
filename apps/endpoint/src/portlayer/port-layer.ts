import type { ContainerConfig, DiskRef } from '@vic/protocol';
import type { TetherClient } from '../tether-bridge/tether-client';

/** A read-only image layer disk, as the image store made it. */
export interface LayerDisk {
  path: string;
  fstype: DiskRef['fstype'];
}

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
}

/** A NIC on an L2 segment: the segment's multicast group on the host's loopback. */
export interface SegmentNic {
  mac: string;
  group: string;
  port: number;
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
  /** Freezes the VM's vCPUs; the container's processes stop where they are. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Resolves (never rejects) once the VM is off, however it got there. */
  poweredOff: Promise<void>;
  /** Powers the VM off now (forcibly if it will not go) and drops the channel. */
  powerOff(): Promise<void>;
  /** Hot-plugs a NIC on a segment (a network connect while the container runs). */
  plugSegment(nic: SegmentNic): Promise<void>;
  /** Unplugs the NIC with this MAC (a network disconnect while the container runs). */
  unplugSegment(mac: string): Promise<void>;
}

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
   * sees them. The caller guarantees the VM stays off meanwhile.
   */
  withContainerFilesystem<T>(containerId: string, layers: LayerDisk[], use: (root: string) => Promise<T>): Promise<T>;
  /** Removes every trace of the container (its VM and its writable disk). */
  removeContainer(containerId: string): Promise<void>;
  /** Ends every VM this port layer runs, for a clean shutdown of the endpoint. */
  powerOffAll(): Promise<void>;
}
