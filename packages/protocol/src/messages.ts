/**
 * Every message the endpoint and the tether exchange, declared once for both ends.
 * Host = the endpoint side (tether-bridge); guest = the tether (PID 1 in the container VM).
 */

export const PROTOCOL_VERSION = 1;

/** Host -> guest, first frame after the byte stream (re)connects. */
export interface Hello {
  version: number;
  containerId: string;
  /** The token the endpoint gave the VM at creation; proves the peer on the serial line. */
  token: string;
  /** Bytes the host has received so far on each guest->host stream (channel -> offset). */
  received: Record<number, number>;
}

/** Guest -> host, answer to a valid Hello. */
export interface Welcome {
  version: number;
  containerId: string;
  /** Bytes the guest has received so far on each host->guest stream (channel -> offset). */
  received: Record<number, number>;
  configured: boolean;
  sessions: SessionStatus[];
}

export interface Reject {
  reason: string;
}

// ---- container configuration -------------------------------------------------------------

/** A block device the host attached, found in the guest by its virtio serial. */
export interface DiskRef {
  serial: string;
  fstype: 'ext4' | 'erofs' | 'squashfs' | 'iso9660';
}

export interface RootFilesystem {
  /** Read-only layers, lowest first. */
  layers: DiskRef[];
  /** Where container writes go: a disk of its own, or memory when absent. */
  writable?: DiskRef;
}

/**
 * A volume the tether mounts at `target` inside the container's root once the root is assembled:
 * a disk of its own (named and anonymous volumes) or a host directory shared over virtiofs.
 */
export type MountSpec =
  | {
      kind: 'disk';
      serial: string;
      fstype: 'ext4';
      target: string;
      readOnly: boolean;
      /** Copy what the image has at `target` into the volume when the volume is empty, as dockerd does. */
      copyImageContent: boolean;
    }
  | { kind: 'virtiofs'; tag: string; target: string; readOnly: boolean };

export interface ContainerConfig {
  hostname: string;
  domainName?: string;
  /** Extra /etc/hosts lines ("ip name..."); localhost and the hostname are always written. */
  extraHosts?: string[];
  /** resolv.conf name servers and search domains; no file is written when both are empty. */
  dns?: { servers: string[]; search: string[] };
  rootfs: RootFilesystem;
  /** Volumes and bind mounts, in the order they are mounted (a parent before what is mounted inside it). */
  mounts?: MountSpec[];
  /** The VM's network interfaces, configured before the container's processes start; none when absent. */
  networks?: InterfaceConfig[];
  /**
   * Docker's embedded DNS on user-defined networks: the tether answers at 127.0.0.11 for the names
   * in `extraHosts` and forwards every other query to `upstream`; resolv.conf names only it.
   */
  embeddedDns?: { upstream: string[] };
}

/** One network interface, found in the guest by its MAC address. */
export interface InterfaceConfig {
  /** "52:54:00:..." as the host gave it to the virtual NIC. */
  mac: string;
  /** CIDR addresses, e.g. "172.16.0.2/16". */
  addresses: string[];
  /** The default route goes through this address; at most one interface has one. */
  gateway?: string;
  mtu?: number;
}

// ---- sessions ----------------------------------------------------------------------------

export interface TtySize {
  cols: number;
  rows: number;
}

export interface SessionSpec {
  /** Unique in the container; the main process is conventionally "main". */
  id: string;
  /**
   * First of three consecutive stream channels: stdin = channel, stdout = channel + 1,
   * stderr = channel + 2 (unused with a tty, where stdout carries the terminal).
   */
  channel: number;
  argv: string[];
  env: string[];
  cwd?: string;
  /** "user", "uid", "user:group" or "uid:gid", resolved against the image's /etc/passwd and /etc/group. */
  user?: string;
  /** A pseudo-terminal of this size, or pipes when absent. */
  tty?: TtySize;
  openStdin: boolean;
  /** Start the process only when the host sends `attach`, so nothing it prints is missed. */
  holdUntilAttached: boolean;
}

export type ExitStatus = { code: number; signal?: undefined } | { code?: undefined; signal: string };

export type SessionState = 'held' | 'running' | 'exited';

export interface SessionStatus {
  id: string;
  channel: number;
  state: SessionState;
  pid?: number;
  exit?: ExitStatus;
}

// ---- stats -------------------------------------------------------------------------------

export interface Stats {
  /** Milliseconds since the epoch, guest clock. */
  time: number;
  cpu: {
    /** Cumulative CPU time of all tasks in the guest, in nanoseconds (user + system). */
    totalUsageNs: number;
    userNs: number;
    systemNs: number;
    /** Cumulative time of all CPUs (busy + idle), in nanoseconds: the denominator of CPU %. */
    systemUsageNs: number;
    onlineCpus: number;
  };
  memory: { usageBytes: number; limitBytes: number; cacheBytes: number };
  pids: number;
  network: Record<string, { rxBytes: number; rxPackets: number; txBytes: number; txPackets: number; rxErrors: number; txErrors: number }>;
  blockIo: { device: string; readBytes: number; writeBytes: number; reads: number; writes: number }[];
}

// ---- processes and files -----------------------------------------------------------------

/** One of the container's processes, as `docker top` shows it (`ps -ef` columns). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The user's name in the container's /etc/passwd, or the uid when it has none. */
  user: string;
  /** Milliseconds since the epoch, guest clock. */
  startTime: number;
  /** User + system CPU time, in milliseconds. */
  cpuTimeMs: number;
  /** CPU time over lifetime, in whole percent (ps's C column). */
  cpuPercent: number;
  /** "pts/0", "tty1", or "?" for none. */
  tty: string;
  /** The command line, or the kernel's name in brackets when it has none (as ps shows it). */
  command: string;
}

/** What Docker's `X-Docker-Container-Path-Stat` header carries about a path in a container. */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits (permissions plus type flags), as the docker CLI decodes them. */
  mode: number;
  /** RFC 3339, as Go marshals a time.Time. */
  mtime: string;
  /** The target of a symbolic link, "" otherwise. */
  linkTarget: string;
}

/**
 * A tar stream from the guest: the tether sends the tar of `path` on `channel` (one outbound
 * stream) and replies once the host has consumed all of it, or with the error that cut it short.
 * `path` is resolved inside the container's root; entry names start with `rebaseAs` (e.g. the
 * path's base name, "" for export).
 */
export interface ArchiveOutRequest {
  op: 'archiveOut';
  path: string;
  rebaseAs: string;
  channel: number;
}

/**
 * A tar stream into the guest: the host sends a tar on `channel` right after this request and
 * the tether extracts it into the directory `path`, replying once every entry is written.
 */
export interface ArchiveInRequest {
  op: 'archiveIn';
  path: string;
  channel: number;
  /** Refuse to replace a directory with a non-directory or the reverse (Docker's noOverwriteDirNonDir). */
  noOverwriteDirNonDir: boolean;
}

// ---- control messages --------------------------------------------------------------------

/** Requests the host sends; each has a reply. */
export type Request =
  | { op: 'configure'; config: ContainerConfig }
  | { op: 'start'; spec: SessionSpec }
  | { op: 'attach'; id: string }
  | { op: 'resize'; id: string; size: TtySize }
  | { op: 'signal'; id: string; signal: string }
  | { op: 'wait'; id: string }
  | { op: 'release'; id: string }
  | { op: 'stats' }
  | { op: 'processes' }
  | { op: 'statPath'; path: string }
  | ArchiveOutRequest
  | ArchiveInRequest
  /** The host no longer wants a transfer (its client went away): stop it and forget its channel. */
  | { op: 'abortTransfer'; channel: number }
  /** Freezes every process of the container (docker pause); the tether keeps serving. */
  | { op: 'pause' }
  | { op: 'unpause' }
  | { op: 'ping' }
  | { op: 'powerOff' }
  /** Rewrites /etc/hosts with these extra lines: containers joined or left a network this one is on. */
  | { op: 'setHosts'; extraHosts: string[] }
  /** Brings up a NIC the host hot-plugged (`docker network connect` on a running container). */
  | { op: 'configureInterface'; config: InterfaceConfig };

export type RequestOp = Request['op'];

/** What each request's successful reply carries. */
export interface ReplyValues {
  configure: null;
  start: SessionStatus;
  attach: SessionStatus;
  resize: null;
  signal: null;
  wait: ExitStatus;
  release: null;
  stats: Stats;
  processes: ProcessInfo[];
  statPath: PathStat;
  archiveOut: null;
  archiveIn: null;
  abortTransfer: null;
  pause: null;
  unpause: null;
  ping: { time: number };
  powerOff: null;
  setHosts: null;
  configureInterface: null;
}

export interface RemoteError {
  /** Stable machine-readable code, e.g. "ENOEXEC", "ENOSESSION". */
  code: string;
  /** User-facing text, Docker's wording where Docker has one. */
  message: string;
}

/** Guest -> host notifications that answer no request. */
export type GuestEvent = { event: 'exited'; id: string; exit: ExitStatus } | { event: 'started'; id: string; pid: number };

export type ControlMessage =
  | { kind: 'request'; id: number; request: Request }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: RemoteError }
  | { kind: 'event'; body: GuestEvent };

// ---- streams -----------------------------------------------------------------------------

export interface DataBody {
  /** Stream offset of the first byte of `data`. */
  offset: number;
  data: Uint8Array;
}

export interface AckBody {
  /** Cumulative bytes the receiver has consumed; the sender may drop everything before it. */
  consumed: number;
  /** How many bytes past `consumed` the sender may have in flight. */
  window: number;
  /** The receiver has seen the end of the stream. */
  finished: boolean;
}

/**
 * Closing a session's stdin is not a request: it is the Fin flag on the stdin stream's last Data
 * frame, so it can never overtake stdin bytes still waiting for credit.
 */
export const StreamIndex = { stdin: 0, stdout: 1, stderr: 2 } as const;
export type StreamName = keyof typeof StreamIndex;
