import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerCli, type DockerResult } from './support/docker-cli';
import { startTestEndpoint, type TestEndpoint } from './support/endpoint';
import { publishTestImages, type PublishedImages } from './support/images';
import { startTestRegistries, type TestRegistries } from './support/registry';

/* `docker run` with the real docker CLI: every container is a real VM booted from a pulled image. */

let work: string;
let registries: TestRegistries;
let images: PublishedImages;
let endpoint: TestEndpoint;
let busybox: string;

function docker(...args: string[]): Promise<DockerResult> {
  return dockerCli(endpoint.dockerHost, join(work, 'docker-config'), args);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-endpoint-run-'));
  registries = await startTestRegistries();
  images = await publishTestImages(registries);
  endpoint = await startTestEndpoint(join(work, 'vch'));
  busybox = `${registries.anonymous.host}/${images.busybox.repository}:latest`;
  const pulled = await docker('pull', '-q', busybox);
  if (pulled.code !== 0) throw new Error(pulled.stderr);
}, 1_200_000);

afterAll(async () => {
  await endpoint?.close();
  await registries?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('docker run: each container a VM', () => {
  it('docker run --rm prints the output, exits 0 and leaves no container', async () => {
    const ran = await docker('run', '--rm', '--name', 'hello', busybox, 'echo', 'hello from a VM');
    expect(ran).toEqual({ code: 0, stdout: 'hello from a VM\n', stderr: '' });
    const inspected = await docker('inspect', 'hello');
    expect(inspected.stderr).toContain('No such object: hello');
  });

  it('keeps stdout and stderr apart and passes the exit code on', async () => {
    const ran = await docker('run', '--name', 'three', busybox, 'sh', '-c', 'echo out; echo err >&2; exit 3');
    expect(ran).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    const state = await docker('inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'three');
    expect(state.stdout.trim()).toBe('exited 3');
    expect((await docker('rm', 'three')).code).toBe(0);
  });

  it('a command missing from the image fails docker run --rm with Docker\'s error and exit code 127, and nothing waits forever', async () => {
    const ran = await docker('run', '--rm', '--name', 'missing', busybox, 'no-such-command');
    expect(ran.code).toBe(127);
    expect(ran.stderr).toContain('exec: "no-such-command": executable file not found in $PATH');
    expect((await docker('inspect', 'missing')).stderr).toContain('No such object: missing');
  });

  it('a second container with a taken name is refused with dockerd\'s words', async () => {
    expect((await docker('create', '--name', 'taken', busybox, 'true')).code).toBe(0);
    const again = await docker('create', '--name', 'taken', busybox, 'true');
    expect(again.stderr).toMatch(/Conflict. The container name "\/taken" is already in use by container "[0-9a-f]{64}"/);
    expect((await docker('rm', 'taken')).code).toBe(0);
  });
});
