import { join } from 'node:path';

/** Where one VCH keeps everything: `<state-root>/<name>/`. Deleting the VCH removes this folder. */
export interface VchLayout {
  name: string;
  dir: string;
  /** vch.json: how the endpoint is started (VchConfig). */
  config: string;
  /** The client's certificates in docker's layout: ca.pem, cert.pem, key.pem (DOCKER_CERT_PATH). */
  clientCerts: string;
  /** The endpoint's: ca.pem, server-cert.pem, server-key.pem (its --tls-dir). */
  serverTls: string;
  /** The VCH's own copy of the bootstrap ISO, so rebuilding the checkout's ISO never changes a running VCH. */
  iso: string;
  /** The endpoint's state: images, containers, container VM files. */
  state: string;
  log: string;
  pid: string;
}

export function vchLayout(stateRoot: string, name: string): VchLayout {
  const dir = join(stateRoot, name);
  return {
    name,
    dir,
    config: join(dir, 'vch.json'),
    clientCerts: join(dir, 'certs'),
    serverTls: join(dir, 'tls'),
    iso: join(dir, 'bootstrap.iso'),
    state: join(dir, 'state'),
    log: join(dir, 'endpoint.log'),
    pid: join(dir, 'endpoint.pid'),
  };
}
