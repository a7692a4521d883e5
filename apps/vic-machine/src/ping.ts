import { readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { clientCertFiles } from './endpoint-address';
import { clientHost } from './host-address';
import type { VchConfig } from './vch-config';
import type { VchLayout } from './vch-layout';

const PING_BODY_LIMIT = 1024;

export type PingResult = { ok: true } | { ok: false; reason: string };

/**
 * `GET /_ping` as docker sends it: over TLS with the VCH's client certificate, verifying the
 * server's against the VCH's CA, so a success proves the whole TLS setup, not only a listening port.
 */
export function pingEndpoint(config: VchConfig, layout: VchLayout, timeoutMs: number): Promise<PingResult> {
  return new Promise((resolve) => {
    const target = { host: clientHost(config.host), port: config.port, path: '/_ping', timeout: timeoutMs };
    const onResponse = (response: IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < PING_BODY_LIMIT) body += chunk;
      });
      response.on('end', () => resolve(response.statusCode === 200 && body === 'OK' ? { ok: true } : { ok: false, reason: `answered ${response.statusCode}: ${body.slice(0, 200)}` }));
      response.on('error', (error) => resolve({ ok: false, reason: error.message }));
    };
    let request: ClientRequest;
    if (config.tls) {
      const files = clientCertFiles(layout);
      const clientCertificate = config.noTlsVerify ? {} : { cert: readFileSync(files.cert), key: readFileSync(files.key) };
      request = httpsRequest({ ...target, ca: readFileSync(files.ca), ...clientCertificate }, onResponse);
    } else {
      request = httpRequest(target, onResponse);
    }
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ ok: false, reason: error.message }));
    request.end();
  });
}
