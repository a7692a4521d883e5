import type { ContainerRecord } from '../containers/container-record';

/** IDs of the containers, running or not, that have the named volume: dockerd's reference count. */
export function volumeUsers(containers: readonly ContainerRecord[], name: string): string[] {
  return containers.filter((record) => record.mounts?.some((mount) => mount.type === 'volume' && mount.name === name)).map((record) => record.id);
}
