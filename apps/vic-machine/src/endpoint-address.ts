import { join } from 'node:path';
import { clientHost, hostPort } from './host-address';
import type { VchConfig } from './vch-config';
import type { VchLayout } from './vch-layout';

/** The DOCKER_HOST a client on this machine uses for the VCH. */
export function dockerHost(config: VchConfig): string {
  return `tcp://${hostPort(clientHost(config.host), config.port)}`;
}

/** The lines a user pastes into a shell to point the docker CLI at the VCH. */
export function dockerEnvLines(config: VchConfig, layout: VchLayout): string[] {
  const lines = [`export DOCKER_HOST=${dockerHost(config)}`];
  // With --no-tlsverify the folder holds only the CA: docker still checks the server with it.
  if (config.tls) lines.push('export DOCKER_TLS_VERIFY=1', `export DOCKER_CERT_PATH=${layout.clientCerts}`);
  return lines;
}

/** The client certificate files, as docker reads them from DOCKER_CERT_PATH. */
export function clientCertFiles(layout: VchLayout): { ca: string; cert: string; key: string } {
  return { ca: join(layout.clientCerts, 'ca.pem'), cert: join(layout.clientCerts, 'cert.pem'), key: join(layout.clientCerts, 'key.pem') };
}
