import { fail, ok, type Result } from '@vic/imagec';
import type { ContainerCreateConfig, ContainerRecord } from '../containers/container-record';
import type { EventLog } from '../events/event-log';
import type { VmMount } from '../portlayer/port-layer';
import { parseContainerMounts } from './mount-request';
import { provideMounts, type MountErrorCode } from './provide-mounts';
import type { VolumeStore } from './volume-store';
import type { MountPoint } from './volume-record';

/** What the container runtime asks about a container's volumes: made at create, mounted at start, let go at removal. */
export class ContainerVolumes {
  constructor(
    readonly store: VolumeStore,
    private readonly events: EventLog,
  ) {}

  /** Parses `-v`, `--mount` and the image's and request's VOLUME paths, and makes what they need. */
  async provide(config: ContainerCreateConfig, imageVolumes: Record<string, object> | undefined): Promise<Result<MountPoint[], MountErrorCode>> {
    const requests = parseContainerMounts({
      binds: config.HostConfig?.Binds ?? [],
      mounts: config.HostConfig?.Mounts ?? [],
      volumePaths: [...Object.keys(imageVolumes ?? {}), ...Object.keys(config.Volumes ?? {})],
    });
    if (!requests.ok) return requests;
    return provideMounts(this.store, requests.value);
  }

  /** The container's mounts as its VM gets them: each volume's disk, each host directory. */
  vmMounts(record: ContainerRecord): Result<VmMount[], MountErrorCode> {
    const mounts: VmMount[] = [];
    for (const point of record.mounts ?? []) {
      if (point.type === 'bind') {
        mounts.push({ kind: 'hostDirectory', source: point.source, target: point.target, readOnly: point.readOnly });
        continue;
      }
      const volume = this.store.get(point.name);
      if (!volume.ok) return fail(volume.error.code, volume.error.message);
      mounts.push({ kind: 'disk', path: volume.value.disk, target: point.target, readOnly: point.readOnly, copyImageContent: point.copyImageContent });
    }
    return ok(mounts);
  }

  /**
   * A volume disk of `record` that one of `live` (containers whose VMs run or start) already has:
   * two VMs writing one ext4 disk would corrupt it, so unlike dockerd's directories a vic volume
   * is in one running container at a time, as VIC's disks were.
   */
  sharedWithLive(record: ContainerRecord, live: ContainerRecord[]): string | null {
    for (const point of record.mounts ?? []) {
      if (point.type !== 'volume') continue;
      const holder = live.find((other) => other.id !== record.id && other.mounts?.some((mount) => mount.type === 'volume' && mount.name === point.name));
      if (holder) return `volume ${point.name} is in use by running container ${holder.id}: a vic volume is a disk, attached to one container VM at a time`;
    }
    return null;
  }

  /** dockerd's volume `mount` and `unmount` events, one per volume of a container that starts or stops. */
  announce(record: ContainerRecord, action: 'mount' | 'unmount'): void {
    for (const point of record.mounts ?? []) {
      if (point.type !== 'volume') continue;
      const attributes: Record<string, string> = action === 'mount' ? { container: record.id, destination: point.target, driver: 'local', propagation: '', 'read/write': String(!point.readOnly) } : { container: record.id, driver: 'local' };
      this.events.emit('volume', action, point.name, attributes);
    }
  }

  /**
   * `rm -v` and `run --rm`: the removed container's anonymous volumes go; named ones stay. One
   * another container still has (`--volumes-from` style sharing) or that is already gone is left
   * alone, as dockerd does.
   */
  async removeAnonymous(record: ContainerRecord): Promise<void> {
    for (const point of record.mounts ?? []) {
      if (point.type !== 'volume' || !point.anonymous) continue;
      const removed = await this.store.remove(point.name, true);
      if (!removed.ok && removed.error.code !== 'VOLUME_IN_USE') throw new Error(removed.error.message);
    }
  }
}
