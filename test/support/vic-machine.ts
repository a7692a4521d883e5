import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const VIC_MACHINE = join(REPO, 'apps/vic-machine/dist/vic-machine.mjs');
const BUILD_TIMEOUT_MS = 5 * 60_000;
/** create waits up to 30 s for the endpoint; delete up to ~25 s for the endpoint and its VMs. */
const COMMAND_TIMEOUT_MS = 90_000;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Bundles the endpoint and vic-machine (turbo skips it when nothing changed). */
export async function ensureVicMachineBuilt(): Promise<void> {
  await run('npx', ['--no-install', 'turbo', 'run', 'build', '--filter=@vic/endpoint', '--filter=@vic/vic-machine', '--output-logs=errors-only'], {
    cwd: REPO,
    timeout: BUILD_TIMEOUT_MS,
  });
}

/** Runs a command with exactly `env` (nothing inherited), never throwing, bounded by `timeoutMs`. */
export async function runCommand(file: string, args: string[], env: Record<string, string>, timeoutMs = COMMAND_TIMEOUT_MS): Promise<CommandResult> {
  try {
    const running = run(file, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 });
    running.child.stdin?.end();
    const { stdout, stderr } = await running;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? failed.message };
  }
}

/** `vic-machine <command> --target local --state-root <stateRoot> ...args`, as a user runs it. */
export function vicMachine(stateRoot: string, command: string, ...args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, [VIC_MACHINE, command, '--target', 'local', '--state-root', stateRoot, ...args], { PATH: process.env.PATH ?? '/usr/bin:/bin' });
}

/** The variables of `export NAME=value` lines, as a shell would set them. */
export function exportedVariables(stdout: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of stdout.trim().split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line);
    if (!match) throw new Error(`not an export line: ${JSON.stringify(line)}`);
    variables[match[1]!] = match[2]!;
  }
  return variables;
}
