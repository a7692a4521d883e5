import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VicMachineError } from './errors';
import { isWildcard } from './host-address';
import type { TlsChoices } from './tls-flags';
import type { VchLayout } from './vch-layout';

const run = promisify(execFile);

const OPENSSL_TIMEOUT_MS = 30_000;
const CA_DAYS = 3650;
const LEAF_DAYS = 825;
/** P-256: as strong as RSA-3072 for this purpose, generated in milliseconds, and docker's Go TLS takes it. */
const KEY_OPTIONS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: OPENSSL_TIMEOUT_MS });
  } catch (error) {
    const failed = error as Error & { stderr?: string };
    throw new VicMachineError(`openssl ${args[0]} failed: ${(failed.stderr ?? failed.message).trim()}`);
  }
}

const altName = (name: string): string => (isIP(name) ? `IP:${name}` : `DNS:${name}`);

/** Names the server certificate is valid for: loopback always, the address the endpoint binds, and --tls-cname. */
function serverAltNames(host: string, cname: string | undefined): string {
  // A wildcard bind is reached by this machine's name, not by 0.0.0.0.
  const names = ['IP:127.0.0.1', 'DNS:localhost', isWildcard(host) ? `DNS:${hostname()}` : altName(host), ...(cname === undefined ? [] : [altName(cname)])];
  return [...new Set(names)].join(',');
}

function serial(): string {
  return `0x${randomBytes(16).toString('hex')}`;
}

async function issue(work: string, ca: { cert: string; key: string }, subject: string, extensions: string, out: { cert: string; key: string }): Promise<void> {
  const csr = join(work, 'request.csr');
  const extfile = join(work, 'extensions.cnf');
  writeFileSync(extfile, extensions);
  await openssl(['req', '-new', ...KEY_OPTIONS, '-keyout', out.key, '-out', csr, '-subj', subject]);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', serial(), '-days', String(LEAF_DAYS), '-sha256', '-extfile', extfile, '-out', out.cert]);
  chmodSync(out.key, 0o600);
}

/**
 * Makes the VCH's certificates with the openssl CLI: a CA of its own, a server certificate for
 * `host` (the endpoint's --tls-dir) and, unless --no-tlsverify, a client certificate in the layout
 * DOCKER_CERT_PATH expects; the client always gets the CA, to check the server. The endpoint accepts
 * client certificates of its own CA and of the --tls-ca ones. The CA key is deleted once all is
 * signed: nothing issues certificates later, and a CA key left on disk would only be one more
 * secret to steal.
 */
export async function createCertificates(layout: VchLayout, host: string, tls: TlsChoices): Promise<void> {
  mkdirSync(layout.serverTls, { mode: 0o700 });
  mkdirSync(layout.clientCerts, { mode: 0o700 });
  const work = mkdtempSync(join(layout.dir, 'openssl-'));
  try {
    const ca = { cert: join(layout.serverTls, 'ca.pem'), key: join(work, 'ca-key.pem') };
    const caConfig = join(work, 'ca.cnf');
    writeFileSync(
      caConfig,
      [
        '[req]', 'prompt = no', 'distinguished_name = dn', 'x509_extensions = ca',
        '[dn]', `CN = vic VCH ${layout.name} CA`,
        '[ca]', 'basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign', 'subjectKeyIdentifier = hash',
        '',
      ].join('\n'),
    );
    await openssl(['req', '-x509', '-new', '-config', caConfig, ...KEY_OPTIONS, '-keyout', ca.key, '-out', ca.cert, '-days', String(CA_DAYS), '-sha256']);
    await issue(
      work,
      ca,
      `/CN=${tls.cname ?? layout.name}`,
      ['basicConstraints = CA:FALSE', 'keyUsage = critical,digitalSignature,keyEncipherment', 'extendedKeyUsage = serverAuth', `subjectAltName = ${serverAltNames(host, tls.cname)}`, ''].join('\n'),
      { cert: join(layout.serverTls, 'server-cert.pem'), key: join(layout.serverTls, 'server-key.pem') },
    );
    if (tls.verifyClients) {
      await issue(
        work,
        ca,
        '/CN=vic client',
        ['basicConstraints = CA:FALSE', 'keyUsage = critical,digitalSignature', 'extendedKeyUsage = clientAuth', ''].join('\n'),
        { cert: join(layout.clientCerts, 'cert.pem'), key: join(layout.clientCerts, 'key.pem') },
      );
    }
    copyFileSync(ca.cert, join(layout.clientCerts, 'ca.pem'));
    // After the copy: the client's ca.pem is what signed the server, not who may connect.
    for (const pem of tls.clientCas) appendFileSync(ca.cert, pem);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
