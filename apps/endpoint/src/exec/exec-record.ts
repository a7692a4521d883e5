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

/** An exec's tether session is named after it. */
const EXEC_SESSION_PREFIX = 'exec-';

export function execSessionId(execId: string): string {
  return `${EXEC_SESSION_PREFIX}${execId}`;
}

/** The exec a tether session runs, or null for the main process. */
export function execIdOfSession(sessionId: string): string | null {
  return sessionId.startsWith(EXEC_SESSION_PREFIX) ? sessionId.slice(EXEC_SESSION_PREFIX.length) : null;
}
