import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { fail, ok, type Result } from '../result';
import type { RegistryEndpoint } from './endpoints';
import { networkCause, readTimeoutCode, requestErrorMessage, type RegistryErrorCode } from './errors';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Headers that may repeat (`WWW-Authenticate`) with every value kept apart. */
  headersDistinct: NodeJS.Dict<string[]>;
  /** The URL that answered, after redirects. */
  url: URL;
  /** Unread body: the caller consumes it or calls `body.destroy()`. */
  body: IncomingMessage;
}

export interface TransportTimeouts {
  /** Longest silence on a socket (connecting, waiting for headers, between body chunks). */
  idleMs: number;
}

export const defaultTimeouts: TransportTimeouts = { idleMs: 30_000 };

// Registries send blobs through CDNs with a redirect or two; Go's client stops after 10.
const maxRedirects = 10;

/**
 * HTTP(S) requests to registries with the TLS rules of their endpoint. Owns one keep-alive agent
 * per endpoint and protocol; `close()` destroys their sockets.
 */
export class Transport {
  private readonly agents = new Map<string, HttpAgent>();
  private closed = false;

  constructor(private readonly timeouts: TransportTimeouts = defaultTimeouts) {}

  /**
   * Sends a body-less GET with the TLS rules of `endpoint` (also for redirect targets and token
   * realms, as dockerd's per-registry transport does) and resolves once the response headers
   * arrive. Redirects are followed; `Authorization` goes only to the origin of the first URL,
   * never to a CDN it redirects to.
   */
  async get(endpoint: RegistryEndpoint, url: URL, headers: Record<string, string>): Promise<Result<HttpResponse, RegistryErrorCode>> {
    let current = url;
    for (let hop = 0; hop <= maxRedirects; hop++) {
      const sent = current.origin === url.origin ? headers : withoutAuthorization(headers);
      const response = await this.send(endpoint, current, sent);
      if (!response.ok) return response;
      const location = response.value.headers.location;
      if (![301, 302, 303, 307, 308].includes(response.value.status) || location === undefined) return response;
      response.value.body.resume();
      current = new URL(location, current);
    }
    return fail('REGISTRY_ERROR', requestErrorMessage(url.href, `stopped after ${maxRedirects} redirects`));
  }

  close(): void {
    this.closed = true;
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private send(endpoint: RegistryEndpoint, url: URL, headers: Record<string, string>): Promise<Result<HttpResponse, RegistryErrorCode>> {
    if (this.closed) return Promise.resolve(fail('IO', 'registry client is closed'));
    const agent = this.agentFor(endpoint, url);
    const issue = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const request = issue(url, { method: 'GET', headers, agent });
      request.setTimeout(this.timeouts.idleMs, () => {
        const error: NodeJS.ErrnoException = new Error(`i/o timeout after ${this.timeouts.idleMs} ms`);
        error.code = request.socket?.connecting === false ? readTimeoutCode : 'ETIMEDOUT';
        request.destroy(error);
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        resolve(fail('REGISTRY_UNREACHABLE', requestErrorMessage(url.href, networkCause(error, url))));
      });
      request.once('response', (response) => {
        resolve(
          ok({
            status: response.statusCode ?? 0,
            headers: response.headers,
            headersDistinct: response.headersDistinct,
            url,
            body: response,
          }),
        );
      });
      request.end();
    });
  }

  private agentFor(endpoint: RegistryEndpoint, url: URL): HttpAgent {
    const key = `${endpoint.origin.href}|${endpoint.verifyTls}|${url.protocol}`;
    let agent = this.agents.get(key);
    if (agent === undefined) {
      agent =
        url.protocol === 'https:'
          ? new HttpsAgent({ keepAlive: true, ca: endpoint.ca, rejectUnauthorized: endpoint.verifyTls })
          : new HttpAgent({ keepAlive: true });
      this.agents.set(key, agent);
    }
    return agent;
  }
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
}

/** Reads a whole body of at most `limit` bytes; a larger one is an error, never a large buffer. */
export async function readBody(response: HttpResponse, limit: number): Promise<Result<Buffer, RegistryErrorCode>> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > limit) {
        response.body.destroy();
        return fail('REGISTRY_ERROR', `response from ${response.url.href} exceeds ${limit} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    return fail('REGISTRY_UNREACHABLE', requestErrorMessage(response.url.href, networkCause(error as NodeJS.ErrnoException, response.url)));
  }
  return ok(Buffer.concat(chunks, length));
}
