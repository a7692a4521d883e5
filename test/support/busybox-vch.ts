import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { dockerCli, type DockerCliOptions, type DockerResult } from './docker-cli';
import { startTestEndpoint, type TestEndpoint, type TestEndpointOptions } from './endpoint';

/** A test VCH endpoint with `busybox:latest` loaded, and the docker CLI pointed at it. */
export interface BusyboxVch {
  endpoint: TestEndpoint;
  docker(...args: string[]): Promise<DockerResult>;
  dockerWith(options: DockerCliOptions, ...args: string[]): Promise<DockerResult>;
  /** The CLI's stdout; throws with its stderr when it fails. */
  ok(...args: string[]): Promise<string>;
  /** Closes the endpoint (unless the caller did) and opens a new one over the same state directory. */
  restart(options?: { closed?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export async function startBusyboxVch(label: string, options: TestEndpointOptions = {}): Promise<BusyboxVch> {
  const work = mkdtempSync(join(tmpdir(), `vic-${label}-`));
  const stateDir = join(work, 'vch');
  const configDir = join(work, 'docker-config');
  let endpoint = await startTestEndpoint(stateDir, options);
  const dockerWith = (options: DockerCliOptions, ...args: string[]) => dockerCli(endpoint.dockerHost, configDir, args, options);
  const docker = (...args: string[]) => dockerWith({}, ...args);
  const ok = async (...args: string[]) => {
    const result = await docker(...args);
    if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };
  const archive = join(work, 'busybox.tar');
  await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', archive);
  await ok('load', '-q', '-i', archive);
  return {
    get endpoint() {
      return endpoint;
    },
    docker,
    dockerWith,
    ok,
    async restart(restartOptions = {}) {
      if (!restartOptions.closed) await endpoint.close();
      endpoint = await startTestEndpoint(stateDir, options);
    },
    async close() {
      // With live restore closing leaves VMs running: remove the containers first.
      if (options.liveRestore) {
        const ids = (await docker('ps', '-aq')).stdout.split('\n').filter(Boolean);
        if (ids.length > 0) await docker('rm', '-f', ...ids);
      }
      await endpoint.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
