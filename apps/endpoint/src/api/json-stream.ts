import type { FastifyReply } from 'fastify';
import type { JsonMessage } from '@vic/imagec';
import { DockerApiError } from './docker-error';

/**
 * Runs an operation that reports progress as Docker JSON messages (pull, load). The 200 and the
 * stream start with the first message, so a failure before any progress still gets its own
 * status code and `{"message"}` body, as dockerd answers `docker pull` of an unknown image; a
 * failure after that is the stream's last line, an `errorDetail`.
 */
export async function streamJsonMessages(reply: FastifyReply, run: (send: (message: JsonMessage) => void) => Promise<void>): Promise<void> {
  reply.hijack();
  const response = reply.raw;
  let started = false;
  const send = (message: JsonMessage) => {
    if (!started) {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      started = true;
    }
    response.write(`${JSON.stringify(message)}\r\n`);
  };
  try {
    await run(send);
  } catch (error) {
    const status = error instanceof DockerApiError ? error.status : 500;
    const message = (error as Error).message;
    if (!started) {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ message }));
      return;
    }
    send({ errorDetail: { message }, error: message });
  }
  response.end();
}
