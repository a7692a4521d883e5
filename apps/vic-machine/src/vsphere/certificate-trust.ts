import { normalizeThumbprint, UntrustedCertificateError, type CertificatePolicy } from '@vic/vsphere';
import { VicMachineError } from '../errors';

/**
 * The certificate policy from VIC's flags: --thumbprint pins the server's certificate, --force
 * accepts any certificate, neither requires one the system CAs trust.
 */
export function certificatePolicy(flags: { readonly thumbprint?: string; readonly force?: boolean }): CertificatePolicy {
  if (flags.thumbprint !== undefined) {
    try {
      return { kind: 'thumbprint', thumbprint: normalizeThumbprint(flags.thumbprint) };
    } catch (error) {
      throw new VicMachineError(`--thumbprint: ${(error as Error).message}`);
    }
  }
  return flags.force ? { kind: 'insecure' } : { kind: 'ca' };
}

/** VIC's refusal, plus what the user can do about it. */
export function untrustedCertificateError(error: UntrustedCertificateError): VicMachineError {
  return new VicMachineError(
    `${error.message}\nIf this is the certificate you expect, run again with --thumbprint ${error.thumbprintSha1} (or --force to accept any certificate)`,
  );
}
