import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { send } from './http-send';
import type { TokenService } from './token-service';

export interface TestRegistry {
  kind: 'anonymous' | 'basic' | 'bearer' | 'tls';
  host: string;
  url: string;
  caPem?: string;
  username?: string;
  password?: string;
  /** Authorization header for pushing test content to `repository`. */
  pushAuth: (repository: string) => Promise<string | undefined>;
  stop(): Promise<void>;
}


const run = promisify(execFile);


/**
 * Starts one docker-registry (distribution 2.8) on a free 127.0.0.1 port, configured for `kind`.
 * Registries given the same `storageDir` serve the same content.
 */
export async function startRegistry(root: string, kind: TestRegistry['kind'], tokenService?: TokenService, storageDir?: string): Promise<TestRegistry> {
  const dir = await mkdtemp(join(root, `registry-${kind}-`));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let tlsConfig = '';
  let caPem: string | undefined;
  if (kind === 'tls') {
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=vic test registry', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    caPem = await readFile(join(dir, 'cert.pem'), 'utf8');
    tlsConfig = `  tls:\n    certificate: ${join(dir, 'cert.pem')}\n    key: ${join(dir, 'key.pem')}\n`;
  }
  let authConfig = '';
  if (kind === 'basic') {
    const { stdout } = await run('htpasswd', ['-Bbn', 'alice', 'secret']);
    await writeFile(join(dir, 'htpasswd'), stdout);
    authConfig = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  if (kind === 'bearer' && tokenService !== undefined) {
    authConfig = `auth:\n  token:\n    realm: ${tokenService.url}/token\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: ${tokenService.certPath}\n`;
  }
  const config = `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storageDir ?? join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n  secret: test-secret\n${tlsConfig}${authConfig}`;
  await writeFile(join(dir, 'config.yml'), config);
  const child = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString();
  });
  const url = `${kind === 'tls' ? 'https' : 'http'}://${host}`;
  await waitForRegistry(url, caPem, child, () => stderr);
  const pushAuth = async (repository: string): Promise<string | undefined> => {
    if (kind === 'basic') return `Basic ${Buffer.from('alice:secret').toString('base64')}`;
    if (kind === 'bearer' && tokenService !== undefined) return `Bearer ${tokenService.pushToken(repository)}`;
    return undefined;
  };
  return {
    kind,
    host,
    url,
    ...(caPem === undefined ? {} : { caPem }),
    ...(kind === 'basic' || kind === 'bearer' ? { username: 'alice', password: 'secret' } : {}),
    pushAuth,
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}


async function waitForRegistry(url: string, caPem: string | undefined, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr()}`);
    const answered = await send('GET', `${url}/v2/`, {}, undefined, caPem).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry at ${url} did not answer within 15 s: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

