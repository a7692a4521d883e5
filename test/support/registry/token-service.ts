import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TokenService {
  url: string;
  certPath: string;
  /** Tokens handed out for a scope (any outcome of the credentials check that produced a token). */
  issued(scope: string): number;
  pushToken(repository: string): string;
  stop(): Promise<void>;
}

/**
 * distribution's token auth: a JWT (RS256) naming its key by libtrust key ID, signed with the key
 * whose certificate the registry trusts. alice:secret gets pull and push on every repository it
 * asks for; anonymous users get a token with no access; a wrong password gets 401.
 */

export async function startTokenService(root: string): Promise<TokenService> {
  const dir = await mkdtemp(join(root, 'token-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-issuer', '-keyout', keyPath, '-out', certPath]);
  const key = createPrivateKey(await readFile(keyPath));
  const publicDer = new X509Certificate(await readFile(certPath)).publicKey.export({ type: 'spki', format: 'der' });
  const kid = libtrustKeyId(publicDer);
  const counts = new Map<string, number>();
  const mint = (access: Array<{ type: string; name: string; actions: string[] }>): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', kid };
    const claims = { iss: 'test-issuer', sub: 'alice', aud: 'test-registry', exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
  };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://token');
    const scopes = url.searchParams.getAll('scope');
    const authorization = request.headers.authorization;
    const good = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
    if (authorization !== undefined && authorization !== good) {
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    for (const scope of scopes) counts.set(scope, (counts.get(scope) ?? 0) + 1);
    const access = authorization === undefined ? [] : scopes.map((scope) => ({ type: 'repository', name: scope.split(':')[1] ?? '', actions: ['pull', 'push'] }));
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: mint(access), expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('token service has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    certPath,
    issued: (scope) => counts.get(scope) ?? 0,
    // distribution checks repository names exactly (no wildcards), so a push token names its repository.
    pushToken: (repository) => mint([{ type: 'repository', name: repository, actions: ['pull', 'push'] }]),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** libtrust `KeyID`: base32 of the first 240 bits of sha256(SPKI DER), in 4-character groups joined by ':'. */
function libtrustKeyId(spkiDer: Buffer): string {
  const hash = createHash('sha256').update(spkiDer).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of hash) bits += byte.toString(2).padStart(8, '0');
  let encoded = '';
  for (let i = 0; i < bits.length; i += 5) encoded += alphabet[Number.parseInt(bits.slice(i, i + 5), 2)];
  return encoded.match(/.{4}/g)?.join(':') ?? encoded;
}

