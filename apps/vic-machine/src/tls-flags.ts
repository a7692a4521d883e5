import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { VicMachineError } from './errors';

/** How a VCH's endpoint serves TLS, from VIC's create flags; absent with --no-tls. */
export interface TlsChoices {
  /** An extra name the server certificate is valid for, and its common name (--tls-cname). */
  cname?: string;
  /** Clients must present a certificate signed by one of the VCH's CAs; false with --no-tlsverify. */
  verifyClients: boolean;
  /** PEM CA certificates (--tls-ca) whose client certificates the endpoint accepts besides the VCH's own CA's. */
  clientCas: string[];
}

export interface TlsFlagValues {
  'no-tls'?: boolean;
  'tls-cname'?: string;
  'no-tlsverify'?: boolean;
  'tls-ca'?: string[];
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The CA certificates in a --tls-ca file, each checked to be one (a client certificate there would let only itself in). */
function readClientCas(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new VicMachineError(`--tls-ca ${file}: cannot read it: ${(error as Error).message}`);
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new VicMachineError(`--tls-ca ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const block of blocks) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch (error) {
      throw new VicMachineError(`--tls-ca ${file}: a certificate in it does not parse: ${(error as Error).message}`);
    }
    if (!certificate.ca) throw new VicMachineError(`--tls-ca ${file}: ${certificate.subject.replace(/\n/g, ', ')} is not a CA certificate (basicConstraints CA:TRUE), so it cannot sign client certificates`);
  }
  return `${blocks.join('\n')}\n`;
}

/** The TLS flags of `create`, checked together; undefined with --no-tls. */
export function parseTlsFlags(values: TlsFlagValues): TlsChoices | undefined {
  const given = (['tls-cname', 'no-tlsverify', 'tls-ca'] as const).filter((flag) => values[flag] !== undefined);
  if (values['no-tls']) {
    if (given.length > 0) throw new VicMachineError(`--${given[0]} configures TLS, which --no-tls turns off`);
    return undefined;
  }
  const cname = values['tls-cname'];
  if (cname !== undefined && isIP(cname) === 0 && !HOSTNAME.test(cname)) throw new VicMachineError(`--tls-cname ${JSON.stringify(cname)} is neither a host name nor an IP address`);
  const verifyClients = !values['no-tlsverify'];
  const caFiles = values['tls-ca'] ?? [];
  if (!verifyClients && caFiles.length > 0) throw new VicMachineError('--tls-ca names CAs for client certificates, which --no-tlsverify does not ask for; drop one of them');
  return { ...(cname === undefined ? {} : { cname }), verifyClients, clientCas: caFiles.map(readClientCas) };
}

/** Who may connect to a VCH's endpoint, in inspect's words. */
export function describeAccess(security: { tls: boolean; noTlsVerify?: true }): string {
  if (!security.tls) return 'plain HTTP, no authentication';
  return security.noTlsVerify ? 'TLS, no client certificates (--no-tlsverify)' : 'TLS, client certificates required';
}
