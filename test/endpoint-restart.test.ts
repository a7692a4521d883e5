import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { dockerCli, type DockerResult } from './support/docker-cli';
import { startTestEndpoint, type TestEndpoint } from './support/endpoint';

/* A VCH's state outlives its endpoint process: containers, names, exec records and logs are found again. */

let work: string;
let endpoint: TestEndpoint;

function docker(...args: string[]): Promise<DockerResult> {
  return dockerCli(endpoint.dockerHost, join(work, 'docker-config'), args);
}

async function ok(...args: string[]): Promise<string> {
  const result = await docker(...args);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-endpoint-restart-'));
  endpoint = await startTestEndpoint(join(work, 'vch'));
  const archive = join(work, 'busybox.tar');
  await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', archive);
  await ok('load', '-q', '-i', archive);
}, 1_200_000);

afterAll(async () => {
  await endpoint?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('an endpoint restarted over the same state directory', () => {
  it('finds its containers, their names, states and logs, and runs them again', async () => {
    await ok('create', '--name', 'waiting', '--label', 'kept=yes', 'busybox', 'echo', 'later');
    expect((await docker('run', '--name', 'finished', 'busybox', 'sh', '-c', 'echo before the restart; exit 4')).code).toBe(4);
    await ok('run', '-d', '--name', 'running', 'busybox', 'sleep', '1000');
    // Closing the endpoint powers its container VMs off; the running one is recorded as ended.
    await endpoint.close();
    endpoint = await startTestEndpoint(join(work, 'vch'));

    const listed = (await ok('ps', '-a', '--format', '{{.Names}} {{.Status}}')).trim().split('\n').sort();
    expect(listed).toEqual([expect.stringMatching(/^finished Exited \(4\)/), expect.stringMatching(/^running Exited \(137\)/), 'waiting Created']);
    expect(await ok('inspect', '-f', '{{index .Config.Labels "kept"}}', 'waiting')).toBe('yes\n');
    expect(await ok('logs', 'finished')).toBe('before the restart\n');
    expect((await docker('create', '--name', 'finished', 'busybox', 'true')).stderr).toContain('The container name "/finished" is already in use');

    expect(await ok('start', '-a', 'waiting')).toBe('later\n');
    await ok('start', 'running');
    expect(await ok('exec', 'running', 'echo', 'back')).toBe('back\n');
    await ok('rm', '-f', 'running', 'waiting', 'finished');
    expect((await ok('ps', '-aq')).trim()).toBe('');
  });
});
