import type { ContainerNetworkState } from '../networks/network-record';
import type { ApiMount } from '../volumes/mount-request';
import type { MountPoint } from '../volumes/volume-record';

/** The part of `HostConfig` vic honours. */
export interface ContainerHostConfig {
  AutoRemove?: boolean;
  /** Bytes of memory: the VM's size. */
  Memory?: number;
  /** CPUs × 10⁹: the VM's vCPU count, rounded. */
  NanoCpus?: number;
  /** [height, width] of the terminal the CLI runs in. */
  ConsoleSize?: [number, number] | null;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  /** `-v name:/path[:ro]`, `-v /host/dir:/path[:ro]`. */
  Binds?: string[] | null;
  /** `--mount type=volume|bind,...`. */
  Mounts?: ApiMount[] | null;
  /** `--volumes-from container[:ro|rw]`. */
  VolumesFrom?: string[] | null;
  NetworkMode?: string;
  /** "80/tcp" -> host bindings; an empty HostPort picks a free port. */
  PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  PublishAllPorts?: boolean;
  Dns?: string[] | null;
  DnsSearch?: string[] | null;
  /** "name:ip" lines for /etc/hosts. */
  ExtraHosts?: string[] | null;
  /** "container[:alias]". */
  Links?: string[] | null;
}

/** One network's settings in a create request (`NetworkingConfig.EndpointsConfig`). */
export interface EndpointSettings {
  IPAMConfig?: { IPv4Address?: string } | null;
  Aliases?: string[] | null;
  Links?: string[] | null;
}

/** What `docker create` asked for, in the Engine API's `ContainerConfig` shape (the part vic honours). */
export interface ContainerCreateConfig {
  Image: string;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Labels?: Record<string, string> | null;
  Hostname?: string;
  StopSignal?: string;
  StopTimeout?: number;
  /** Paths that get an anonymous volume (`-v /path`). */
  Volumes?: Record<string, object> | null;
  HostConfig?: ContainerHostConfig;
  ExposedPorts?: Record<string, object> | null;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointSettings> | null } | null;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'exited';

export interface ContainerState {
  status: ContainerStatus;
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  /** The main process's pid inside the VM while it runs. */
  pid?: number;
  /** Its addresses and published ports while it runs. */
  network?: ContainerNetworkState;
}

/** One container as the VCH keeps it on disk (`containers/<id>.json`). */
export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  /** The image ID it was created from, and the name it was asked for by. */
  imageId: string;
  imageName: string;
  config: ContainerCreateConfig;
  /** What runs: entrypoint + cmd resolved against the image's defaults. */
  path: string;
  args: string[];
  env: string[];
  /** Merged image and container labels. */
  labels: Record<string, string>;
  state: ContainerState;
  restartCount: number;
  /** Its volumes and bind mounts, as made at create (absent on records older than volumes). */
  mounts?: MountPoint[];
}
