import { execFile } from 'node:child_process';

const COMMAND_TIMEOUT_MS = 60_000;

export interface HostCommandOptions {
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

/**
 * Runs a host tool (setfattr, mkfs.erofs) and resolves with its stdout; rejects with its
 * stderr. Node has no API for extended attributes or erofs, and a layer needs few such runs.
 */
export function runHostCommand(command: string, args: string[], options: HostCommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { cwd: options.cwd, timeout: options.timeoutMs ?? COMMAND_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    child.stdin?.on('error', () => {}); // a command that died is reported by its exit status
    child.stdin?.end(options.input ?? '');
  });
}
