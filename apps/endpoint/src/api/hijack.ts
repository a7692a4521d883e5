import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Takes over the connection as dockerd does for attach and exec start: `101 UPGRADED` (the CLI
 * asks with `Upgrade: tcp`), then the raw socket carries the container's streams both ways.
 */
export function hijackConnection(request: FastifyRequest, reply: FastifyReply, multiplexed: boolean): Duplex {
  reply.hijack();
  const socket = request.raw.socket;
  const contentType = multiplexed ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
  const head =
    request.headers.upgrade !== undefined
      ? `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`
      : `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nConnection: close\r\n\r\n`;
  // A client that hangs up is not the endpoint's failure: its sink stops writing.
  socket.on('error', () => undefined);
  socket.write(head);
  return socket;
}
