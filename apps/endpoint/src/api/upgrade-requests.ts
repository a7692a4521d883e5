import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { DockerApiError } from './docker-error';

/** An upgrade request's JSON body is small (exec start's options); anything bigger is refused. */
const MAX_UPGRADE_BODY = 64 * 1024;
const BODY_READ_TIMEOUT_MS = 10_000;

const upgradeBodies = new WeakMap<IncomingMessage, unknown>();

/** Reads `length` bytes of body from `head` and then the socket; what follows goes back to the socket. */
function readBody(socket: Socket, head: Buffer, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let body = head;
    const finish = () => {
      socket.off('data', onData);
      clearTimeout(timer);
      if (body.length > length) socket.unshift(body.subarray(length));
      resolve(body.subarray(0, length));
    };
    const onData = (chunk: Buffer) => {
      body = Buffer.concat([body, chunk]);
      if (body.length >= length) {
        socket.pause();
        finish();
      }
    };
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(new Error('request body not received'));
    }, BODY_READ_TIMEOUT_MS);
    if (body.length >= length) return finish();
    socket.on('data', onData);
  });
}

/**
 * Attach and exec start upgrade the connection to a raw stream whose write side the CLI closes
 * when it has no stdin to send. Node hands an upgraded socket over whole (no HTTP parser left to
 * end it on that half-close), so upgrades come in through the 'upgrade' event and are routed here.
 * Node does not read an upgrade request's body either: it is read here and given to the route as
 * `request.body`. A refusal (an error reply) ends the connection; closing the server ends every
 * upgraded connection, which the server itself no longer tracks.
 */
export function routeUpgradeRequests(app: FastifyInstance): void {
  const sockets = new Set<Socket>();
  app.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // a client that hangs up is not the endpoint's failure
    const length = Number(request.headers['content-length'] ?? 0);
    const route = (body: Buffer) => {
      if (body.length > 0) {
        try {
          upgradeBodies.set(request, JSON.parse(body.toString('utf8')));
        } catch {
          upgradeBodies.set(request, new DockerApiError(400, 'invalid JSON body'));
        }
      }
      // The body is consumed here; fastify must not wait for it on the request stream.
      delete request.headers['content-length'];
      delete request.headers['content-type'];
      const response = new ServerResponse(request);
      response.assignSocket(socket);
      response.on('finish', () => socket.end());
      app.routing(request, response);
    };
    if (!(length >= 0 && length <= MAX_UPGRADE_BODY)) return socket.destroy();
    readBody(socket, head, length).then(route, () => socket.destroy());
  });
  app.addHook('preHandler', async (request) => {
    const body = upgradeBodies.get(request.raw);
    if (body instanceof DockerApiError) throw body;
    if (body !== undefined) request.body = body;
  });
  // Before the server closes: it would wait for these connections, which it no longer tracks.
  app.addHook('preClose', async () => {
    for (const socket of sockets) socket.destroy();
  });
}
