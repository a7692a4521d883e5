import type { VolumeStore } from './volume-store';
import type { MountPoint, VolumeRecord } from './volume-record';

/** A volume in the Engine API's `Volume` shape (`docker volume inspect`, `ls`). Mountpoint is its disk on the host. */
export function volumeJson(record: VolumeRecord) {
  return {
    CreatedAt: record.createdAt,
    Driver: record.driver,
    Labels: record.labels,
    Mountpoint: record.disk,
    Name: record.id,
    Options: record.options,
    Scope: 'local',
    Status: { Capacity: `${record.capacityMiB}MB` },
  };
}

/** A volume with its `UsageData` (bytes its sparse disk takes, containers using it), for `docker system df`. */
export async function volumeUsageJson(record: VolumeRecord, volumes: VolumeStore) {
  return { ...volumeJson(record), UsageData: { Size: await volumes.diskUsage(record.id), RefCount: volumes.users(record.id).length } };
}

/** One of a container's `Mounts` in dockerd's inspect shape. */
export function mountJson(point: MountPoint, volumes: VolumeStore) {
  if (point.type === 'bind') {
    return { Type: 'bind', Source: point.source, Destination: point.target, Mode: point.readOnly ? 'ro' : '', RW: !point.readOnly, Propagation: 'rprivate' };
  }
  const volume = volumes.get(point.name);
  return {
    Type: 'volume',
    Name: point.name,
    Source: volume.ok ? volume.value.disk : '',
    Destination: point.target,
    Driver: volume.ok ? volume.value.driver : 'local',
    Mode: point.readOnly ? 'ro' : 'z',
    RW: !point.readOnly,
    Propagation: '',
  };
}
