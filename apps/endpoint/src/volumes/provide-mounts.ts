import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fail, ok, type Result } from '@vic/imagec';
import type { MountRequest } from './mount-request';
import type { VolumeErrorCode, VolumeStore } from './volume-store';
import type { MountPoint } from './volume-record';

export type MountErrorCode = VolumeErrorCode | 'INVALID_MOUNT';

/** A host directory for a bind mount: made for `-v` as dockerd does, required for `--mount`; virtiofs shares directories only. */
function hostDirectory(request: Extract<MountRequest, { type: 'bind' }>): Result<void, MountErrorCode> {
  if (!existsSync(request.source)) {
    if (!request.createSource) return fail('INVALID_MOUNT', `invalid mount config for type "bind": bind source path does not exist: ${request.source}`);
    mkdirSync(request.source, { recursive: true, mode: 0o755 });
  }
  if (!statSync(request.source).isDirectory()) return fail('INVALID_MOUNT', `invalid mount config for type "bind": ${request.source} is not a directory (vic shares host directories only)`);
  return ok(undefined);
}

/**
 * Makes the host directories and volumes (named ones if missing, anonymous ones always) a
 * container's mounts need. Host directories are checked first; a volume that cannot be made
 * takes the anonymous ones made before it along, so a refused create leaves nothing behind.
 */
export async function provideMounts(volumes: VolumeStore, requests: MountRequest[]): Promise<Result<MountPoint[], MountErrorCode>> {
  for (const request of requests) {
    if (request.type !== 'bind') continue;
    const made = hostDirectory(request);
    if (!made.ok) return made;
  }
  const points: MountPoint[] = [];
  for (const request of requests) {
    if (request.type === 'bind') {
      points.push({ type: 'bind', source: request.source, target: request.target, readOnly: request.readOnly });
      continue;
    }
    const anonymous = request.name === undefined;
    const volume = await volumes.create(
      {
        ...(request.name ? { Name: request.name } : {}),
        ...(request.driver ? { Driver: request.driver } : {}),
        ...(request.driverOpts ? { DriverOpts: request.driverOpts } : {}),
        ...(request.labels ? { Labels: request.labels } : {}),
      },
      anonymous,
    );
    if (!volume.ok) {
      for (const point of points) if (point.type === 'volume' && point.anonymous) await volumes.remove(point.name, true);
      return volume;
    }
    points.push({ type: 'volume', name: volume.value.id, target: request.target, readOnly: request.readOnly, anonymous, copyImageContent: request.copyImageContent });
  }
  return ok(points);
}
