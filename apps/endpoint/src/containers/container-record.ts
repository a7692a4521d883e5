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
  HostConfig?: { AutoRemove?: boolean; Memory?: number; NanoCpus?: number };
}

export type ContainerStatus = 'created' | 'running' | 'exited' | 'removing';

export interface ContainerState {
  status: ContainerStatus;
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
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
  state: ContainerState;
}
