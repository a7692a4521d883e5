import type { FastifyReply } from 'fastify';
import type { Result } from '@vic/imagec';

/** An error the Engine API answers with its status code and `{"message": …}` body, as dockerd does. */
export class DockerApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sends `{"message": …}` as exactly `application/json`: the docker CLI reads an error body as JSON
 * only on that exact content type (fastify adds a charset to JSON and string replies, not to buffers).
 */
export function sendDockerError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify({ message })));
}

/** The status dockerd gives each kind of image failure (errdefs: NotFound 404, Conflict 409, InvalidParameter 400, Unauthorized 401). */
const statusByCode: Record<string, number> = {
  NO_SUCH_IMAGE: 404,
  INVALID_REFERENCE: 400,
  INVALID_TAG: 400,
  IMAGE_CONFLICT: 409,
  REPOSITORY_DENIED: 404,
  REPOSITORY_UNKNOWN: 404,
  MANIFEST_UNKNOWN: 404,
  BLOB_UNKNOWN: 404,
  NO_MATCHING_PLATFORM: 404,
  // dockerd answers a pull the registry refused with a 500: a 401 would make the CLI prompt for a login.
  REGISTRY_UNAUTHORIZED: 500,
  CREDENTIALS_INVALID: 400,
  MANIFEST_UNSUPPORTED: 400,
  ARCHIVE_INVALID: 400,
  ARCHIVE_IMAGE_INVALID: 400,
  ARCHIVE_LAYER_INVALID: 400,
};

/** A store or registry failure as the Engine API reports it. */
export function apiErrorOf(error: { code: string; message: string }): DockerApiError {
  return new DockerApiError(statusByCode[error.code] ?? 500, error.message);
}

/** A result's value, or its failure thrown as the Engine API error with the status dockerd gives its code. */
export function valueOrApiError<T, Code extends string>(result: Result<T, Code>, statusByCode: Record<Code, number>): T {
  if (!result.ok) throw new DockerApiError(statusByCode[result.error.code], result.error.message);
  return result.value;
}
