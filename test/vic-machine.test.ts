import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { ensureBootstrapIso } from './support/bootstrap-iso';
import { ensureVicMachineBuilt, exportedVariables, runCommand, vicMachine, type CommandResult } from './support/vic-machine';

/* vic-machine as a user runs it: real openssl certificates, a detached endpoint process, the real docker CLI, real VMs. */

const NAME = 'tls-vch';
let work: string;
let stateRoot: string;
let vchDir: string;
let busyboxArchive: string;
let printed: Record<string, string>;

/** The docker CLI with exactly the environment vic-machine printed, and nothing else of ours. */
function docker(environment: Record<string, string>, ...args: string[]): Promise<CommandResult> {
  return runCommand('docker', args, { PATH: process.env.PATH ?? '/usr/bin:/bin', DOCKER_CONFIG: join(work, 'docker-config'), ...environment }, 180_000);
}

/** Processes with an argument inside `dir` (a zombie has no arguments, so only live ones count). */
function processesUsing(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-a', '-f', `${dir}/`]).toString().trim().split('\n');
  } catch (error) {
    if ((error as { status?: number }).status === 1) return [];
    throw error;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function portOf(dockerHost: string): number {
  return Number(/:(\d+)$/.exec(dockerHost)?.[1]);
}

beforeAll(async () => {
  await Promise.all([ensureBootstrapIso(), ensureVicMachineBuilt()]);
  work = mkdtempSync(join(tmpdir(), 'vic-machine-test-'));
  stateRoot = join(work, 'vchs');
  vchDir = join(stateRoot, NAME);
  mkdirSync(join(work, 'docker-config'));
  busyboxArchive = join(work, 'busybox.tar');
  await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', busyboxArchive);
}, 1_200_000);

afterAll(async () => {
  if (stateRoot && existsSync(vchDir)) await vicMachine(stateRoot, 'delete', '--name', NAME);
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('vic-machine --target local', () => {
  it('create makes a TLS VCH on a free port and prints exactly the docker environment to paste', async () => {
    const created = await vicMachine(stateRoot, 'create', '--name', NAME, '--port', '0');
    expect(created.code, created.stderr).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^export DOCKER_HOST=tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(lines.slice(1)).toEqual(['export DOCKER_TLS_VERIFY=1', `export DOCKER_CERT_PATH=${vchDir}/certs`]);
    printed = exportedVariables(created.stdout);
    expect(portOf(printed.DOCKER_HOST!)).toBeGreaterThan(0);
    expect(created.stderr).toContain(`VCH ${NAME} is ready`);

    for (const file of ['ca.pem', 'cert.pem', 'key.pem']) expect(existsSync(join(vchDir, 'certs', file))).toBe(true);
    expect(statSync(join(vchDir, 'certs', 'key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(vchDir, 'tls', 'server-key.pem')).mode & 0o777).toBe(0o600);
    const config = JSON.parse(readFileSync(join(vchDir, 'vch.json'), 'utf8')) as { port: number; tls: boolean };
    expect(config).toMatchObject({ port: portOf(printed.DOCKER_HOST!), tls: true });
    const serverCert = execFileSync('openssl', ['x509', '-in', join(vchDir, 'tls', 'server-cert.pem'), '-noout', '-ext', 'subjectAltName']).toString();
    expect(serverCert).toContain('IP Address:127.0.0.1');
    expect(serverCert).toContain('DNS:localhost');
  });

  it('the docker CLI with that environment runs docker version, docker load and docker run --rm busybox echo hello', async () => {
    const version = await docker(printed, 'version');
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toContain('Server: vic local QEMU');
    const loaded = await docker(printed, 'load', '-i', busyboxArchive);
    expect(loaded.stdout).toContain('Loaded image: busybox:latest');
    const ran = await docker(printed, 'run', '--rm', 'busybox', 'echo', 'hello');
    expect(ran).toEqual({ code: 0, stdout: 'hello\n', stderr: '' });
  });

  it('refuses clients without the VCH client certificate', async () => {
    const withoutTls = await docker({ DOCKER_HOST: printed.DOCKER_HOST! }, 'version', '--format', '{{.Server.Version}}');
    expect(withoutTls.code).not.toBe(0);
    expect(withoutTls.stdout.trim()).toBe('');
    expect(withoutTls.stderr).toContain('error during connect');

    const caOnly = await new Promise<string>((resolve) => {
      const ping = request(
        { host: '127.0.0.1', port: portOf(printed.DOCKER_HOST!), path: '/_ping', ca: readFileSync(join(vchDir, 'certs', 'ca.pem')), timeout: 10_000 },
        (response) => resolve(`answered ${response.statusCode}`),
      );
      ping.on('timeout', () => ping.destroy(new Error('timed out')));
      ping.on('error', (error) => resolve(error.message));
      ping.end();
    });
    expect(caOnly).toContain('alert certificate required');
  });

  it('inspect and ls show the VCH running, with its address and environment', async () => {
    const inspected = await vicMachine(stateRoot, 'inspect', '--name', NAME);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.stdout).toMatch(/^status: +running \(endpoint pid \d+\)$/m);
    expect(inspected.stdout).toContain(`endpoint: ${printed.DOCKER_HOST} (TLS, client certificates required`);
    expect(inspected.stdout).toContain(`export DOCKER_HOST=${printed.DOCKER_HOST}\nexport DOCKER_TLS_VERIFY=1\nexport DOCKER_CERT_PATH=${vchDir}/certs`);

    const listed = await vicMachine(stateRoot, 'ls');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.trim().split('\n').map((line) => line.split(/\s{2,}/))).toEqual([
      ['NAME', 'STATUS', 'DOCKER_HOST'],
      [NAME, 'running', printed.DOCKER_HOST],
    ]);
  });

  it('start brings a VCH whose endpoint died back on the same port, with its containers still running; on a running VCH it changes nothing', async () => {
    const survivor = await docker(printed, 'run', '-d', '--name', 'survivor', 'busybox', 'sleep', '600');
    expect(survivor.code, survivor.stderr).toBe(0);
    const pid = Number(readFileSync(join(vchDir, 'endpoint.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !existsSync(`/proc/${pid}/cmdline`) || readFileSync(`/proc/${pid}/cmdline`).length === 0, 10_000);
    expect((await vicMachine(stateRoot, 'inspect', '--name', NAME)).stdout).toMatch(/^status: +stopped$/m);

    const started = await vicMachine(stateRoot, 'start', '--name', NAME);
    expect(started.code, started.stderr).toBe(0);
    expect(exportedVariables(started.stdout)).toEqual(printed);
    expect((await docker(printed, 'version')).code).toBe(0);
    // The container's VM outlived the endpoint and the new endpoint took it over.
    expect((await docker(printed, 'ps', '--format', '{{.Names}} {{.Status}}')).stdout).toMatch(/^survivor Up /m);
    expect((await docker(printed, 'exec', 'survivor', 'echo', 'still here')).stdout).toBe('still here\n');

    const again = await vicMachine(stateRoot, 'start', '--name', NAME);
    expect(again.stderr).toContain(`VCH ${NAME} is already running`);
    expect(exportedVariables(again.stdout)).toEqual(printed);
  });

  it('create refuses a name that exists and leaves the running VCH alone', async () => {
    const again = await vicMachine(stateRoot, 'create', '--name', NAME, '--port', '0');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`vic-machine: VCH ${NAME} already exists (${vchDir})`);
    expect((await docker(printed, 'version')).code).toBe(0);
  });

  it('create --no-tls refuses a non-loopback address without --force and makes nothing', async () => {
    const refused = await vicMachine(stateRoot, 'create', '--name', 'plain', '--no-tls', '--host', '0.0.0.0', '--port', '0');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('vic-machine: refusing plain HTTP on 0.0.0.0');
    expect(refused.stderr).toContain('--force');
    expect(existsSync(join(stateRoot, 'plain'))).toBe(false);
  });

  it('create that fails to start the endpoint removes what it made and shows the endpoint log', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const failed = await vicMachine(stateRoot, 'create', '--name', 'port-taken', '--port', String(port));
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('the endpoint exited with code 1 before it listened');
      expect(failed.stderr).toContain('EADDRINUSE');
      expect(existsSync(join(stateRoot, 'port-taken'))).toBe(false);
    } finally {
      taken.close();
    }
  });

  it('an unknown VCH is a clear error', async () => {
    const inspected = await vicMachine(stateRoot, 'inspect', '--name', 'no-such-vch');
    expect(inspected.code).toBe(1);
    expect(inspected.stderr).toContain(`vic-machine: no VCH named no-such-vch (looked in ${join(stateRoot, 'no-such-vch')})`);
    expect((await vicMachine(stateRoot, 'delete', '--name', 'no-such-vch')).code).toBe(1);
  });

  it('delete stops the endpoint and its container VMs and removes the VCH folder', async () => {
    const detached = await docker(printed, 'run', '-d', 'busybox', 'sleep', '600');
    expect(detached.code, detached.stderr).toBe(0);
    const running = processesUsing(vchDir);
    expect(running.some((line) => line.includes('qemu-system'))).toBe(true);

    const deleted = await vicMachine(stateRoot, 'delete', '--name', NAME);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(existsSync(vchDir)).toBe(false);
    expect(processesUsing(vchDir)).toEqual([]);
    const listed = await vicMachine(stateRoot, 'ls');
    expect(listed.stdout.trim()).toBe('NAME   STATUS   DOCKER_HOST');
  });
});
