/**
 * How the client decides to trust vSphere's TLS certificate, as vic-machine's flags do: the system CAs
 * (default), a pinned `--thumbprint` (SHA-1 or SHA-256, colons optional), or `--force`/insecure.
 */
export type CertificatePolicy =
  | { readonly kind: 'ca'; readonly ca?: string | Buffer | readonly (string | Buffer)[] }
  | { readonly kind: 'thumbprint'; readonly thumbprint: string }
  | { readonly kind: 'insecure' };

/** Uppercase hex pairs joined by colons, the form vSphere and openssl print. */
export function normalizeThumbprint(thumbprint: string): string {
  const hex = thumbprint.replace(/[:\s-]/g, '').toUpperCase();
  if (!/^[0-9A-F]+$/.test(hex) || (hex.length !== 40 && hex.length !== 64)) {
    throw new TypeError(`invalid thumbprint ${JSON.stringify(thumbprint)}: expected a SHA-1 or SHA-256 fingerprint in hex`);
  }
  return hex.match(/../g)!.join(':');
}
