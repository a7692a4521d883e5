import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { normalizeThumbprint, type CertificatePolicy } from './certificate-policy.js';
import { UntrustedCertificateError } from './untrusted-certificate-error.js';

type ConnectCallback = (error: Error | null, stream: Duplex) => void;

/**
 * An https.Agent that applies a CertificatePolicy before the socket is handed to HTTP, so no request
 * byte (a Login password) reaches a server that failed the check. Node only calls checkServerIdentity
 * for certificates that already chain to a CA, so a pinned self-signed certificate needs this hook.
 */
export class VerifyingAgent extends https.Agent {
  private readonly pinned: string | undefined;

  constructor(private readonly policy: CertificatePolicy) {
    // No TLS session reuse: a resumed session is not re-verified here.
    super({ keepAlive: true, maxCachedSessions: 0, ...(policy.kind === 'ca' && policy.ca ? { ca: policy.ca as string[] } : {}) });
    this.pinned = policy.kind === 'thumbprint' ? normalizeThumbprint(policy.thumbprint) : undefined;
  }

  override createConnection(options: https.RequestOptions, callback?: ConnectCallback): Duplex | undefined {
    const socket = tls.connect({ ...(options as tls.ConnectionOptions), rejectUnauthorized: false });
    const fail = (error: Error): void => {
      socket.destroy();
      callback?.(error, socket);
    };
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.removeListener('error', fail);
      const refusal = this.refusal(socket, options.host ?? 'localhost', options.port === undefined || options.port === null ? undefined : Number(options.port));
      if (refusal) fail(refusal);
      else callback?.(null, socket);
    });
    return undefined;
  }

  private refusal(socket: tls.TLSSocket, host: string, port: number | undefined): Error | undefined {
    if (this.policy.kind === 'insecure') return undefined;
    const cert = socket.getPeerCertificate();
    const target = port === undefined || port === 443 ? host : `${host}:${port}`;
    const sha1 = cert.fingerprint ?? '';
    const sha256 = cert.fingerprint256 ?? '';
    if (this.pinned !== undefined) {
      if (this.pinned === sha1 || this.pinned === sha256) return undefined;
      // govmomi's wording, plus what the server did present.
      return new UntrustedCertificateError(target, sha1, sha256, `host "${target}" thumbprint does not match "${this.pinned}"`);
    }
    if (socket.authorized) return undefined;
    return new UntrustedCertificateError(target, sha1, sha256, String(socket.authorizationError ?? 'certificate not trusted'));
  }
}
