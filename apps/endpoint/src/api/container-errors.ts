import type { Result } from '@vic/imagec';
import type { ContainerErrorCode } from '../containers/container-runtime';
import { valueOrApiError } from './docker-error';

/** The status dockerd gives each kind of container failure. */
const statusByCode: Record<ContainerErrorCode, number> = {
  NO_SUCH_CONTAINER: 404,
  NO_SUCH_IMAGE: 404,
  NO_SUCH_NETWORK: 404,
  NO_SUCH_VOLUME: 404,
  NAME_IN_USE: 409,
  CONFLICT: 409,
  INVALID_CONFIG: 400,
  NOT_MODIFIED: 304,
  START_FAILED: 500,
};

/** A runtime result's value, or its failure thrown as the Engine API error dockerd would answer. */
export function orThrow<T>(result: Result<T, ContainerErrorCode>): T {
  return valueOrApiError(result, statusByCode);
}
