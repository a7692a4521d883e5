/** What `POST /containers/{id}/exec` asked for (the part vic honours). */
export interface ExecCreateConfig {
  Cmd: string[];
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Privileged?: boolean;
  ConsoleSize?: [number, number] | null;
}

/** One exec instance, kept on disk (`execs/<id>.json`) so `docker exec` inspection survives a restart. */
export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecCreateConfig;
  running: boolean;
  /** Null until the process has exited. */
  exitCode: number | null;
  pid: number;
  /** Set when the process could not be started (e.g. the command does not exist). */
  error?: string;
}
