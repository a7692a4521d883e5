import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { dockerCli, type DockerResult } from './support/docker-cli';
import { startTestEndpoint, type TestEndpoint } from './support/endpoint';

/* docker top, cp and export with the real docker CLI, on running container VMs and on stopped ones. */

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

function hostPath(...parts: string[]): string {
  return join(work, 'host', ...parts);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-endpoint-archive-'));
  mkdirSync(hostPath(), { recursive: true });
  endpoint = await startTestEndpoint(join(work, 'vch'));
  const archive = join(work, 'busybox.tar');
  await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', archive);
  await ok('load', '-q', '-i', archive);
}, 1_200_000);

afterAll(async () => {
  await endpoint?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a running container', () => {
  beforeAll(async () => {
    await ok('run', '-d', '--name', 'warm', 'busybox', 'sh', '-c', 'exec sleep 1001');
  }, 120_000);

  it('shows its processes with docker top, as ps -ef would', async () => {
    const lines = (await ok('top', 'warm')).trim().split('\n');
    expect(lines[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(lines.slice(1).some((line) => /^root\s+\d+\s+1\s+\d+\s+\S+\s+\?\s+\d\d:\d\d:\d\d\s+sleep 1001$/.test(line))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/tether|node/);
  });

  it('takes a host file with docker cp, which exec then reads', async () => {
    writeFileSync(hostPath('greeting.txt'), 'hello from the host\n');
    await ok('cp', hostPath('greeting.txt'), 'warm:/tmp/');
    expect(await ok('exec', 'warm', 'cat', '/tmp/greeting.txt')).toBe('hello from the host\n');
  });

  it('gives a file and a directory to docker cp, with contents and modes', async () => {
    await ok('exec', 'warm', 'sh', '-c', 'mkdir -p /srv/out/sub && echo one > /srv/out/a && echo two > /srv/out/sub/b && chmod 640 /srv/out/a && chmod 750 /srv/out/sub');
    await ok('cp', 'warm:/srv/out/a', hostPath('a'));
    expect(readFileSync(hostPath('a'), 'utf8')).toBe('one\n');
    expect(statSync(hostPath('a')).mode & 0o777).toBe(0o640);
    await ok('cp', 'warm:/srv/out', hostPath('out'));
    expect(readFileSync(hostPath('out', 'sub', 'b'), 'utf8')).toBe('two\n');
    expect(statSync(hostPath('out', 'sub')).mode & 0o777).toBe(0o750);
  });

  it('exports its root file system while it runs, without the VM\'s /proc', async () => {
    await ok('export', '-o', hostPath('warm.tar'), 'warm');
    const names = execFileSync('tar', ['-tf', hostPath('warm.tar')], { encoding: 'utf8', timeout: 30_000 }).split('\n');
    expect(names).toEqual(expect.arrayContaining(['bin/busybox', 'tmp/greeting.txt', 'proc/']));
    expect(names.filter((name) => name.startsWith('proc/1/'))).toEqual([]);
  });

  it('answers a missing path with dockerd\'s error', async () => {
    const missing = await docker('cp', 'warm:/no/such/file', hostPath('nothing'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('Could not find the file /no/such/file in container warm');
  });
});

describe('a stopped container', () => {
  beforeAll(async () => {
    await ok('create', '--name', 'cold', 'busybox', 'sh', '-c', 'cat /copied-in; echo before > /written');
  }, 120_000);

  it('takes a file before its first start, and its process sees it', async () => {
    writeFileSync(hostPath('copied-in'), 'copied while stopped\n');
    await ok('cp', hostPath('copied-in'), 'cold:/copied-in');
    expect(await ok('start', '-a', 'cold')).toBe('copied while stopped\n');
  });

  it('gives docker cp what its process wrote before it stopped', async () => {
    expect((await ok('inspect', '-f', '{{.State.Status}}', 'cold')).trim()).toBe('exited');
    await ok('cp', 'cold:/written', hostPath('written'));
    expect(readFileSync(hostPath('written'), 'utf8')).toBe('before\n');
  });

  it('exports its whole root file system: the image and its writes', async () => {
    await ok('export', '-o', hostPath('cold.tar'), 'cold');
    const names = execFileSync('tar', ['-tf', hostPath('cold.tar')], { encoding: 'utf8', timeout: 30_000 }).split('\n');
    expect(names).toContain('bin/busybox');
    expect(names).toContain('written');
  });

  it('keeps extended attributes byte for byte through cp in and out, binary ones included', async () => {
    const tree = hostPath('xattrs');
    const capability = '0100000200200000000000000000000000000000'; // cap_net_raw+ep, as setcap writes it
    mkdirSync(join(tree, 'caps'), { recursive: true });
    for (const name of ['caps/ping', 'caps/odd']) writeFileSync(join(tree, name), '#!/bin/sh\n', { mode: 0o755 });
    execFileSync('setfattr', ['-n', 'security.capability', '-v', `0x${capability}`, join(tree, 'caps/ping')]);
    execFileSync('setfattr', ['-n', 'user.binary', '-v', '0xff00fe0a80', join(tree, 'caps/odd')]);
    const tar = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', tree, '-cf', '-', 'caps']);
    const copied = await dockerCli(endpoint.dockerHost, join(work, 'docker-config'), ['cp', '-', 'cold:/'], { input: tar });
    expect(copied.code, copied.stderr).toBe(0);

    await ok('cp', 'cold:/caps', hostPath('caps-out'));
    const xattr = (file: string, name: string) => execFileSync('getfattr', ['--only-values', '-n', name, file]).toString('hex');
    expect(xattr(hostPath('caps-out', 'ping'), 'security.capability')).toBe(capability);
    expect(xattr(hostPath('caps-out', 'odd'), 'user.binary')).toBe('ff00fe0a80');
  });

  it('refuses a copy while its VM boots, with a conflict', async () => {
    await ok('create', '--name', 'booting', 'busybox', 'sleep', '1002');
    const starting = docker('start', 'booting');
    // The start is under way once the endpoint has its request; the VM takes seconds to boot.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const refused = await docker('cp', 'booting:/bin/busybox', hostPath('busybox'));
    expect(refused.stderr).toMatch(/Container [0-9a-f]{64} is starting; try again once it has started/);
    expect((await starting).code).toBe(0);
    await ok('rm', '-f', 'booting');
  });

  it('answers a missing path with dockerd\'s error, and top with "is not running"', async () => {
    const missing = await docker('cp', 'cold:/no/such/file', hostPath('nothing'));
    expect(missing.stderr).toContain('Could not find the file /no/such/file in container cold');
    const top = await docker('top', 'cold');
    expect(top.stderr).toMatch(/Container [0-9a-f]{64} is not running/);
  });
});
