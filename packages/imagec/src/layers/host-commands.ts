import { execFile } from 'node:child_process';

const COMMAND_TIMEOUT_MS = 60_000;

/**
 * Runs a host tool (mknod, setfattr, mkfs.erofs) and resolves with its stdout; rejects with its
 * stderr. Node has no API for device nodes or extended attributes, and these cases are rare
 * enough per layer that a process each is cheap.
 */
export function runHostCommand(command: string, args: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}
