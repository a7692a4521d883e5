import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface SentResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}


/** One HTTP(S) request with the whole answer read; bounded by a 10 s timeout. */
export function send(method: string, url: string, headers: Record<string, string>, body?: Buffer, caPem?: string): Promise<SentResponse> {
  const target = new URL(url);
  const issue = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = issue(target, { method, headers, ...(caPem === undefined ? {} : { ca: caPem }), timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${method} ${url} timed out`)));
    request.on('error', reject);
    request.end(body);
  });
}

