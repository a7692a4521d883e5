import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DockerCliOptions {
  /** Written to the CLI's stdin, which is then closed; by default stdin is closed at once. */
  input?: string | Buffer;
  timeoutMs?: number;
  /** Extra environment (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). */
  env?: Record<string, string>;
}

/** Runs the real docker CLI against `dockerHost` with its own config dir; never throws, never waits on stdin. */
export async function dockerCli(dockerHost: string, configDir: string, args: string[], options: DockerCliOptions = {}): Promise<DockerResult> {
  try {
    const running = run('docker', args, {
      env: { ...process.env, DOCKER_HOST: dockerHost, DOCKER_CONFIG: configDir, ...options.env },
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    running.child.stdin?.end(options.input ?? ''); // a CLI that wanted to prompt fails at once instead of waiting
    const { stdout, stderr } = await running;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
