import { createServer, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export type Fault =
  | { kind: 'corrupt'; pathEnd: string }
  | { kind: 'truncate-once'; pathEnd: string; afterBytes: number; ignoreRange?: boolean }
  | { kind: 'truncate-always'; pathEnd: string; afterBytes: number }
  | { kind: 'status-500'; pathEnd: string; times: number }
  /** Sends `afterBytes`, then goes silent with the connection open. */
  | { kind: 'stall-once'; pathEnd: string; afterBytes: number }
  /** Answers 307 to the same blob at `localhost` (another origin), as a registry sends clients to its CDN. */
  | { kind: 'redirect'; pathEnd: string };


export interface ProxiedRequest {
  method: string;
  path: string;
  range?: string;
  authorized: boolean;
}


export interface FaultProxy {
  host: string;
  setFault(fault: Fault): void;
  setDelay(ms: number): void;
  requests(): ProxiedRequest[];
  maxConcurrentBlobGets(): number;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A plain-HTTP proxy to `target` that can break blob GETs on purpose and logs every request.
 * `cdnAuthorization` is what the proxy itself sends upstream for redirected (CDN) requests,
 * which arrive without the client's credentials.
 */

export async function startFaultProxy(target: string, cdnAuthorization?: string): Promise<FaultProxy> {
  let fault: Fault | undefined;
  let delayMs = 0;
  let log: ProxiedRequest[] = [];
  let port = 0;
  let active = 0;
  let maxActive = 0;
  let faultsServed = 0;
  const server = createServer(async (request, response) => {
    const path = request.url ?? '/';
    const range = request.headers.range;
    log.push({ method: request.method ?? 'GET', path, ...(range === undefined ? {} : { range }), authorized: request.headers.authorization !== undefined });
    const isBlob = path.includes('/blobs/sha256:');
    const hit = fault !== undefined && path.endsWith(fault.pathEnd) ? fault : undefined;
    if (isBlob) {
      active++;
      maxActive = Math.max(maxActive, active);
      response.once('close', () => active--);
      await sleep(delayMs);
    }
    if (hit?.kind === 'status-500' && faultsServed < hit.times) {
      faultsServed++;
      response.writeHead(500, { 'content-type': 'text/plain' }).end('injected failure');
      return;
    }
    const viaCdn = request.headers.host?.startsWith('localhost:') === true;
    if (hit?.kind === 'redirect' && !viaCdn) {
      response.writeHead(307, { location: `http://localhost:${port}${path}` }).end();
      return;
    }
    const headers = { ...request.headers, host: new URL(target).host };
    if (viaCdn && cdnAuthorization !== undefined) headers.authorization = cdnAuthorization;
    if (hit?.kind === 'truncate-once' && hit.ignoreRange === true) delete headers.range;
    const upstream = httpRequest(new URL(path, target), { method: request.method, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      let sent = 0;
      const cut = ((hit?.kind === 'truncate-once' || hit?.kind === 'stall-once') && faultsServed === 0) || hit?.kind === 'truncate-always' ? hit.afterBytes : Infinity;
      answer.on('data', (chunk: Buffer) => {
        let out = chunk;
        if (hit?.kind === 'corrupt' && sent === 0) {
          out = Buffer.from(chunk);
          out[0] = (out[0] ?? 0) ^ 0xff;
        }
        if (sent + out.length >= cut) {
          faultsServed++;
          answer.destroy();
          if (hit?.kind === 'stall-once') {
            // Silence, with the connection left open: only the client's idle timeout ends this.
            response.write(out.subarray(0, cut - sent));
            return;
          }
          // Cut the connection only once the bytes before the cut are flushed, so the client has them.
          response.write(out.subarray(0, cut - sent), () => response.socket?.destroy());
          return;
        }
        sent += out.length;
        response.write(out);
      });
      answer.on('end', () => response.end());
    });
    upstream.on('error', () => response.destroy());
    upstream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  port = address.port;
  return {
    host: `127.0.0.1:${address.port}`,
    setFault: (next) => {
      fault = next;
      faultsServed = 0;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    requests: () => log,
    maxConcurrentBlobGets: () => maxActive,
    reset: () => {
      fault = undefined;
      faultsServed = 0;
      delayMs = 0;
      log = [];
      maxActive = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

