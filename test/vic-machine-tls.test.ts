import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerCli } from './support/docker-cli';
import { ensureVicMachineBuilt, exportedVariables, vicMachine } from './support/vic-machine';

/*
 * vic-machine's TLS flags (VIC's names): --tls-cname, --no-tlsverify, --tls-ca. Each VCH here is a
 * real endpoint process answered by the real docker CLI; no container runs, so no VM boots: what
 * is under test is who may connect and how the server proves itself.
 */

let work: string;
let stateRoot: string;

/** openssl, as an admin would run it to make a CA of their own and a client certificate it signs. */
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe', timeout: 30_000 });
}

function makeCa(dir: string, name: string): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const ca = { cert: join(dir, 'ca.pem'), key: join(dir, 'ca-key.pem') };
  openssl('req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', ca.key, '-out', ca.cert, '-days', '30', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  return ca;
}

/** A client certificate signed by `ca`, in `dir` as cert.pem/key.pem (docker's DOCKER_CERT_PATH names). */
function makeClientCert(dir: string, ca: { cert: string; key: string }): void {
  mkdirSync(dir, { recursive: true });
  const extensions = join(dir, 'ext.cnf');
  writeFileSync(extensions, 'basicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = clientAuth\n');
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'req.csr'), '-subj', '/CN=admin');
  openssl('x509', '-req', '-in', join(dir, 'req.csr'), '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '30', '-extfile', extensions, '-out', join(dir, 'cert.pem'));
}

/** `docker version` with DOCKER_TLS_VERIFY and the given DOCKER_CERT_PATH, as a user points the CLI at a VCH. */
function dockerVersion(host: string, certPath: string) {
  return dockerCli(host, join(work, 'docker-config'), ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 30_000, env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath } });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-machine-tls-'));
  stateRoot = join(work, 'state');
  await ensureVicMachineBuilt();
}, 300_000);

afterAll(async () => {
  for (const name of existsSync(stateRoot) ? readdirSync(stateRoot) : []) await vicMachine(stateRoot, 'delete', '--name', name);
  rmSync(work, { recursive: true, force: true });
});

describe('vic-machine create TLS flags', () => {
  it('--no-tlsverify: clients need no certificate, but still check the server against the VCH CA; --tls-cname names the server', async () => {
    const created = await vicMachine(stateRoot, 'create', '--name', 'open', '--port', '0', '--no-tlsverify', '--tls-cname', 'vch.example.test');
    expect(created.code, created.stderr).toBe(0);
    const env = exportedVariables(created.stdout);
    expect(readdirSync(env.DOCKER_CERT_PATH!)).toEqual(['ca.pem']);
    expect((await dockerVersion(env.DOCKER_HOST!, env.DOCKER_CERT_PATH!)).stdout).toBe('25.0.0-vic\n');

    const server = execFileSync('openssl', ['x509', '-in', join(stateRoot, 'open', 'tls', 'server-cert.pem'), '-noout', '-subject', '-ext', 'subjectAltName'], { encoding: 'utf8' });
    expect(server).toContain('CN = vch.example.test');
    expect(server).toContain('IP Address:127.0.0.1, DNS:localhost, DNS:vch.example.test');

    // A client that trusts another CA refuses the server: TLS still authenticates the VCH.
    makeCa(join(work, 'stranger'), 'stranger');
    const refused = await dockerVersion(env.DOCKER_HOST!, join(work, 'stranger'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('certificate signed by unknown authority');

    expect((await vicMachine(stateRoot, 'inspect', '--name', 'open')).stdout).toContain('(TLS, no client certificates (--no-tlsverify); bound to 127.0.0.1)');
  }, 120_000);

  it('--tls-ca: client certificates of the admin CA are accepted beside the VCH own; others are refused', async () => {
    const adminCa = makeCa(join(work, 'admin-ca'), 'admin CA');
    const created = await vicMachine(stateRoot, 'create', '--name', 'corp', '--port', '0', '--tls-ca', adminCa.cert);
    expect(created.code, created.stderr).toBe(0);
    const env = exportedVariables(created.stdout);
    expect((await dockerVersion(env.DOCKER_HOST!, env.DOCKER_CERT_PATH!)).stdout).toBe('25.0.0-vic\n');

    // The admin's own client certificate, with the VCH's CA to check the server.
    const admin = join(work, 'admin-client');
    makeClientCert(admin, adminCa);
    copyFileSync(join(env.DOCKER_CERT_PATH!, 'ca.pem'), join(admin, 'ca.pem'));
    const accepted = await dockerVersion(env.DOCKER_HOST!, admin);
    expect(accepted.stderr).toBe('');
    expect(accepted.stdout).toBe('25.0.0-vic\n');

    // A certificate from a CA the VCH was not told about is not even asked for (the server names the CAs it accepts).
    const rogueCa = makeCa(join(work, 'rogue-ca'), 'rogue CA');
    const rogue = join(work, 'rogue-client');
    makeClientCert(rogue, rogueCa);
    copyFileSync(join(env.DOCKER_CERT_PATH!, 'ca.pem'), join(rogue, 'ca.pem'));
    const refused = await dockerVersion(env.DOCKER_HOST!, rogue);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('remote error: tls: certificate required');
  }, 120_000);

  it('refuses bad or contradictory TLS flags before making anything', async () => {
    const adminCa = makeCa(join(work, 'refusals-ca'), 'refusals CA');
    const leaf = join(work, 'leaf');
    makeClientCert(leaf, adminCa);
    const unreadable = join(work, 'missing.pem');
    const cases: [string[], string][] = [
      [['--no-tls', '--tls-cname', 'vch.example.test'], '--tls-cname configures TLS, which --no-tls turns off'],
      [['--no-tlsverify', '--tls-ca', adminCa.cert], '--tls-ca names CAs for client certificates, which --no-tlsverify does not ask for; drop one of them'],
      [['--tls-cname', 'not a name'], '--tls-cname "not a name" is neither a host name nor an IP address'],
      [['--tls-ca', join(leaf, 'cert.pem')], `--tls-ca ${join(leaf, 'cert.pem')}: CN=admin is not a CA certificate (basicConstraints CA:TRUE), so it cannot sign client certificates`],
      [['--tls-ca', join(leaf, 'key.pem')], `--tls-ca ${join(leaf, 'key.pem')} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`],
      [['--tls-ca', unreadable], `--tls-ca ${unreadable}: cannot read it: ENOENT: no such file or directory, open '${unreadable}'`],
    ];
    for (const [flags, message] of cases) {
      const refused = await vicMachine(stateRoot, 'create', '--name', 'refused', '--port', '0', ...flags);
      expect({ flags, code: refused.code, stderr: refused.stderr }).toEqual({ flags, code: 1, stderr: `vic-machine: ${message}\n` });
      expect(existsSync(join(stateRoot, 'refused'))).toBe(false);
    }
  }, 120_000);
});
