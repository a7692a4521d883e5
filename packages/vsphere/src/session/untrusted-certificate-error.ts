/**
 * The server's certificate was not trusted. It carries both thumbprints so vic-machine can show the
 * one to pass as --thumbprint, with VIC's wording.
 */
export class UntrustedCertificateError extends Error {
  override readonly name = 'UntrustedCertificateError';
  constructor(
    readonly host: string,
    readonly thumbprintSha1: string,
    readonly thumbprintSha256: string,
    readonly reason: string,
  ) {
    super(`Failed to verify certificate for target=${host} (thumbprint=${thumbprintSha1}): ${reason}`);
  }
}
