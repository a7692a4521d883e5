/**
 * What can go wrong talking to a registry, worded as dockerd words it so users recognise the
 * message (moby distribution/errors.go, docker/distribution registry/api/errcode, Go net/http).
 */
export type RegistryErrorCode =
  /** Nothing answered: connection refused, DNS, timeout, TLS handshake. */
  | 'REGISTRY_UNREACHABLE'
  /** The registry or token service rejected the credentials we sent, or wanted some we lack. */
  | 'REGISTRY_UNAUTHORIZED'
  /** The repository does not exist or this user may not pull it. */
  | 'REPOSITORY_DENIED'
  | 'REPOSITORY_UNKNOWN'
  | 'MANIFEST_UNKNOWN'
  | 'MANIFEST_UNSUPPORTED'
  | 'MANIFEST_INVALID'
  | 'NO_MATCHING_PLATFORM'
  | 'BLOB_UNKNOWN'
  | 'DIGEST_MISMATCH'
  | 'BLOB_TRUNCATED'
  /** A server-side failure worth retrying: 5xx, 408, 429. */
  | 'REGISTRY_ERROR'
  /** Any other answer we cannot use (an unexpected 4xx, a malformed token response). */
  | 'REGISTRY_REFUSED'
  | 'CREDENTIALS_INVALID'
  | 'IO';

/** One entry of a registry's `{"errors":[…]}` body (distribution spec, "Errors"). */
export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** Reads the `errors` array of a registry error body; anything else yields an empty list. */
export function parseRegistryErrors(body: Buffer): RegistryErrorEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    // Proxies and token services answer with HTML or plain text; the status code still tells.
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const errors = (parsed as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { code, message, detail } = entry as Record<string, unknown>;
    if (typeof code !== 'string') return [];
    return [{ code, message: typeof message === 'string' ? message : '', detail }];
  });
}

/** errcode `Error.Error()`: the code lower-cased with spaces, then the message: `manifest unknown: manifest unknown`. */
export function formatRegistryError(entry: RegistryErrorEntry): string {
  const code = entry.code.toLowerCase().replaceAll('_', ' ');
  return entry.message === '' ? code : `${code}: ${entry.message}`;
}

/** Go's `url.Error` for the GETs a pull makes: `Get "https://host/v2/": <cause>`. */
export function requestErrorMessage(url: string, cause: string): string {
  return `Get "${url}": ${cause}`;
}

/** Set on the error a request fails with when an established connection goes silent too long. */
export const readTimeoutCode = 'ERR_VIC_READ_TIMEOUT';

/** What Go's dialer and TLS stack would say for a failed Node request, so messages read like dockerd's. */
export function networkCause(error: NodeJS.ErrnoException, url: URL): string {
  // URL.hostname keeps IPv6 brackets, so this prints `[::1]:5000` as Go does; Go always shows the port.
  const hostPort = `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`;
    case 'ECONNRESET':
      return `read tcp ${hostPort}: read: connection reset by peer`;
    case 'ETIMEDOUT':
      return `dial tcp ${hostPort}: i/o timeout`;
    case readTimeoutCode:
      return `read tcp ${hostPort}: i/o timeout`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: ${error.message}`;
    case 'EPROTO':
      // OpenSSL's "wrong version number": a plain-HTTP server answered the TLS hello.
      return /wrong version number|packet length too long/.test(error.message)
        ? 'http: server gave HTTP response to HTTPS client'
        : error.message;
    default:
      return error.message;
  }
}
