import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real docker CLI against `dockerHost` with its own config dir; never throws, never waits on stdin. */
export async function dockerCli(dockerHost: string, configDir: string, args: string[], timeoutMs = 120_000): Promise<DockerResult> {
  try {
    const running = run('docker', args, {
      env: { ...process.env, DOCKER_HOST: dockerHost, DOCKER_CONFIG: configDir },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    running.child.stdin?.end(); // a CLI that wanted to prompt fails at once instead of waiting
    const { stdout, stderr } = await running;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
