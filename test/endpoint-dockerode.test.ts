import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { dockerCli } from './support/docker-cli';
import { startTestEndpoint, type TestEndpoint } from './support/endpoint';

/* The endpoint through dockerode, a client that is not the docker CLI: every container is a real VM. */

const STREAM_TIMEOUT_MS = 60_000;

let work: string;
let endpoint: TestEndpoint;
let docker: Docker;

function dockerodeFor(dockerHost: string, version?: string): Docker {
  const { hostname, port } = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return new Docker({ protocol: 'http', host: hostname, port: Number(port), ...(version ? { version } : {}) });
}

/** Rejects with `what` if `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Everything a multiplexed stream carries until the endpoint ends it, split by docker-modem's demuxer. */
function demuxedOutput(stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const collected = { stdout: '', stderr: '' };
  stdout.on('data', (chunk: Buffer) => (collected.stdout += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (collected.stderr += chunk.toString()));
  docker.modem.demuxStream(stream, stdout, stderr);
  const ended = new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    stream.on('end', () => resolve(collected));
    stream.on('error', reject);
  });
  return within(ended, STREAM_TIMEOUT_MS, 'end of the multiplexed stream');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-endpoint-dockerode-'));
  endpoint = await startTestEndpoint(join(work, 'vch'));
  docker = dockerodeFor(endpoint.dockerHost);
  const archive = join(work, 'busybox.tar');
  await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', archive);
  const loaded = await dockerCli(endpoint.dockerHost, join(work, 'docker-config'), ['load', '-q', '-i', archive]);
  if (loaded.code !== 0) throw new Error(`docker load -i ${archive} exited ${loaded.code}: ${loaded.stderr}`);
}, 300_000);

afterAll(async () => {
  await endpoint?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the API version', () => {
  it('answers ping, and a client that pins the advertised version is served while a newer one is refused', async () => {
    expect(String(await docker.ping())).toBe('OK');
    const version = await docker.version();
    expect(version).toMatchObject({ ApiVersion: '1.45', MinAPIVersion: '1.24', Os: 'linux' });
    const pinned = dockerodeFor(endpoint.dockerHost, `v${version.ApiVersion}`);
    expect((await pinned.listImages()).some((image) => image.RepoTags?.includes('busybox:latest'))).toBe(true);
    const tooNew = dockerodeFor(endpoint.dockerHost, 'v1.99');
    await expect(tooNew.listImages()).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('client version 1.99 is too new. Maximum supported API version is 1.45') });
  });
});

describe('a container', () => {
  it('gives the exit code through create, start and wait', async () => {
    const container = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'exit 3'] });
    try {
      await container.start();
      expect(await container.wait()).toMatchObject({ StatusCode: 3 });
    } finally {
      await container.remove({ force: true });
    }
  });
});

describe('attach, hijacked as dockerode does it', () => {
  it('pipes stdin to the process, closes it on the client\'s half-close (StdinOnce) and demultiplexes the output', async () => {
    const container = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'cat; echo done >&2'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
    try {
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
      const output = demuxedOutput(stream);
      await container.start();
      stream.write('piped in\n');
      stream.end();
      expect(await output).toEqual({ stdout: 'piped in\n', stderr: 'done\n' });
      expect(await container.wait()).toMatchObject({ StatusCode: 0 });
    } finally {
      await container.remove({ force: true });
    }
  });

  it('ends a tty attach on its detach keys and leaves the container running', async () => {
    const container = await docker.createContainer({ Image: 'busybox', Cmd: ['sh'], Tty: true, OpenStdin: true });
    try {
      await container.start();
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true, detachKeys: 'ctrl-x' })) as NodeJS.ReadWriteStream;
      let seen = '';
      stream.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      const ended = within(new Promise((resolve) => stream.on('end', resolve)), STREAM_TIMEOUT_MS, 'end of the attach stream after the detach keys');
      stream.write('echo attached\n');
      await within(
        (async () => {
          while (!seen.includes('attached\r\n')) await new Promise((resolve) => setTimeout(resolve, 50));
        })(),
        STREAM_TIMEOUT_MS,
        'the shell\'s answer',
      );
      stream.write('\x18');
      await ended;
      expect((await container.inspect()).State).toMatchObject({ Running: true, Status: 'running' });
    } finally {
      await container.remove({ force: true });
    }
  });
});

describe('a running container', () => {
  let sleeper: Docker.Container;
  let createdOnly: Docker.Container;

  beforeAll(async () => {
    sleeper = await docker.createContainer({ name: 'sleeper', Image: 'busybox', Cmd: ['sleep', '1000'], Labels: { role: 'sleeper' } });
    await sleeper.start();
    createdOnly = await docker.createContainer({ name: 'never-started', Image: 'busybox', Cmd: ['true'], Labels: { role: 'sleeper' } });
  }, 120_000);

  afterAll(async () => {
    await sleeper?.remove({ force: true });
    await createdOnly?.remove({ force: true });
  });

  it('runs an exec and reports its output and exit code', async () => {
    const exec = await sleeper.exec({ Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 5'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    expect(await demuxedOutput(stream)).toEqual({ stdout: 'out\n', stderr: 'err\n' });
    expect(await exec.inspect()).toMatchObject({ Running: false, ExitCode: 5 });
  });

  it('lists containers by filter, running ones unless all is asked for', async () => {
    const names = (list: Docker.ContainerInfo[]) => list.flatMap((info) => info.Names).sort();
    expect(names(await docker.listContainers({ filters: { label: ['role=sleeper'] } }))).toEqual(['/sleeper']);
    expect(names(await docker.listContainers({ all: true, filters: { label: ['role=sleeper'] } }))).toEqual(['/never-started', '/sleeper']);
    expect(names(await docker.listContainers({ all: true, filters: { status: ['created'] } }))).toEqual(['/never-started']);
    expect(await docker.listContainers({ all: true, filters: { label: ['role=other'] } })).toEqual([]);
    const [listed] = await docker.listContainers({ filters: { name: ['sleeper'] } });
    expect(listed).toMatchObject({ Id: sleeper.id, Image: 'busybox', State: 'running', Labels: { role: 'sleeper' } });
  });

  it('answers 404 with dockerd\'s message for a container that does not exist', async () => {
    await expect(docker.getContainer('nope').inspect()).rejects.toMatchObject({ statusCode: 404, message: expect.stringContaining('No such container: nope') });
  });
});
