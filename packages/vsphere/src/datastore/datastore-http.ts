import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { VimSession } from '../session/vim-session.js';

/** Which file: the datacenter's inventory path (e.g. "DC0"), the datastore name and a path inside it. */
export interface DatastoreFile {
  readonly datacenterPath: string;
  readonly datastore: string;
  readonly path: string;
}

export interface TransferOptions {
  /** Bound on silence: no byte moving for this long aborts the transfer. */
  readonly idleTimeoutMs?: number;
}

export class DatastoreTransferError extends Error {
  override readonly name = 'DatastoreTransferError';
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** https://host/folder/<path>?dcPath=<dc>&dsName=<ds>, vSphere's datastore HTTP interface. */
export function folderUrl(session: VimSession, file: DatastoreFile): URL {
  const url = new URL(session.endpoint);
  url.pathname = `/folder/${file.path.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/')}`;
  url.search = new URLSearchParams({ dcPath: file.datacenterPath, dsName: file.datastore }).toString();
  return url;
}

/** PUTs `body` (bytes or a stream of known `size`) to a datastore file, with the session's cookie and TLS policy. */
export async function uploadFile(
  session: VimSession,
  file: DatastoreFile,
  body: Buffer | { readonly stream: Readable; readonly size: number },
  options: TransferOptions = {},
): Promise<void> {
  const size = Buffer.isBuffer(body) ? body.length : body.size;
  const source = Buffer.isBuffer(body) ? Readable.from([body]) : body.stream;
  const response = await send(session, file, 'PUT', { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) }, source, options);
  await drain(response);
  if (response.statusCode !== 200 && response.statusCode !== 201 && response.statusCode !== 204) {
    throw new DatastoreTransferError(`upload of ${describe(file)} failed: HTTP ${response.statusCode}`, response.statusCode);
  }
}

/** GETs a datastore file as a stream; a missing file fails with a DatastoreTransferError (404). */
export async function downloadFile(session: VimSession, file: DatastoreFile, options: TransferOptions = {}): Promise<Readable> {
  const response = await send(session, file, 'GET', {}, undefined, options);
  if (response.statusCode !== 200) {
    await drain(response);
    throw new DatastoreTransferError(`download of ${describe(file)} failed: HTTP ${response.statusCode}`, response.statusCode);
  }
  return response;
}

function send(
  session: VimSession,
  file: DatastoreFile,
  method: 'GET' | 'PUT',
  headers: Record<string, string>,
  body: Readable | undefined,
  options: TransferOptions,
): Promise<IncomingMessage> {
  const { agent, cookie } = session.http;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const request = https.request(folderUrl(session, file), {
      method,
      agent,
      headers: { ...headers, ...(cookie === undefined ? {} : { Cookie: cookie }) },
    });
    request.setTimeout(idleMs, () => request.destroy(new DatastoreTransferError(`${method} ${describe(file)}: no progress for ${idleMs} ms`)));
    request.once('response', (response) => {
      response.setTimeout(idleMs, () => response.destroy(new DatastoreTransferError(`${method} ${describe(file)}: no progress for ${idleMs} ms`)));
      resolve(response);
    });
    request.once('error', reject);
    if (body === undefined) request.end();
    else pipeline(body, request).catch(reject);
  });
}

async function drain(response: IncomingMessage): Promise<void> {
  for await (const chunk of response) void chunk;
}

const describe = (file: DatastoreFile): string => `[${file.datastore}] ${file.path}`;
