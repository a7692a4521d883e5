import type { RemoteError } from '@vic/protocol';
import type { ContainerRecord } from '../containers/container-record';
import { DockerApiError } from '../api/docker-error';
import { TetherError } from '../tether-bridge/tether-client';

/**
 * A refused archive operation on a stopped container, with the codes the tether uses for the
 * same refusals in a running one, so both map to the same Docker answers.
 */
export class ArchiveError extends Error {
  constructor(readonly remote: RemoteError) {
    super(remote.message);
    this.name = 'ArchiveError';
  }
}

export const missingPath = (path: string) => new ArchiveError({ code: 'ENOENT', message: `Could not find the file ${path}` });

/** dockerd's status and wording for each refusal; anything else is not a refusal and stays as it is. */
export function archiveApiError(err: unknown, record: ContainerRecord, path: string): unknown {
  const remote = err instanceof ArchiveError || err instanceof TetherError ? err.remote : null;
  if (!remote) return err;
  switch (remote.code) {
    case 'ENOENT':
      return new DockerApiError(404, `Could not find the file ${path} in container ${record.name}`);
    case 'ENOTDIR':
    case 'EEXIST':
    case 'EINVAL':
      return new DockerApiError(400, remote.message);
    case 'EACCES':
    case 'EPERM':
      return new DockerApiError(403, remote.message);
    default:
      return new DockerApiError(500, remote.message);
  }
}
