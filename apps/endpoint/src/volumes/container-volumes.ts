import { fail, ok, type Result } from '@vic/imagec';
import type { ContainerCreateConfig, ContainerRecord } from '../containers/container-record';
import type { EventLog } from '../events/event-log';
import type { VmMount } from '../portlayer/port-layer';
import { parseContainerMounts, parseVolumesFrom } from './mount-request';
import { provideMounts, type MountErrorCode } from './provide-mounts';
import type { VolumeStore } from './volume-store';
import type { MountPoint } from './volume-record';

/** What the container runtime asks about a container's volumes: made at create, mounted at start, let go at removal. */
export class ContainerVolumes {
  constructor(
    readonly store: VolumeStore,
    private readonly events: EventLog,
  ) {}

  /**
   * Parses `--volumes-from`, `-v`, `--mount` and the image's and request's VOLUME paths, and
   * makes what they need; `-v` and `--mount` win over `--volumes-from` at the same target, as in
   * dockerd. `findContainer` looks up the containers volumes are taken from.
   */
  async provide(config: ContainerCreateConfig, imageVolumes: Record<string, object> | undefined, findContainer: (reference: string) => ContainerRecord | undefined): Promise<Result<MountPoint[], MountErrorCode>> {
    const inherited = this.inherited(config.HostConfig?.VolumesFrom ?? [], findContainer);
    if (!inherited.ok) return inherited;
    const requests = parseContainerMounts({
      binds: config.HostConfig?.Binds ?? [],
      mounts: config.HostConfig?.Mounts ?? [],
      volumePaths: [...Object.keys(imageVolumes ?? {}), ...Object.keys(config.Volumes ?? {})],
      inheritedTargets: inherited.value.map((point) => point.target),
    });
    if (!requests.ok) return requests;
    const provided = await provideMounts(this.store, requests.value);
    if (!provided.ok) return provided;
    const replaced = new Set(provided.value.map((point) => point.target));
    const points = [...inherited.value.filter((point) => !replaced.has(point.target)), ...provided.value];
    return ok(points.sort((a, b) => a.target.split('/').length - b.target.split('/').length));
  }

  /** `--volumes-from`: the other container's mounts, read-only when it or `:ro` says so, never copying image content. */
  private inherited(specs: string[], findContainer: (reference: string) => ContainerRecord | undefined): Result<MountPoint[], MountErrorCode> {
    // By target: a later container's mount replaces an earlier one's there, as in dockerd.
    const points = new Map<string, MountPoint>();
    for (const spec of specs) {
      const parsed = parseVolumesFrom(spec);
      if (!parsed.ok) return parsed;
      const source = findContainer(parsed.value.container);
      if (!source) return fail('INVALID_MOUNT', `No such container: ${parsed.value.container}`);
      for (const point of source.mounts ?? []) {
        points.set(point.target, { ...point, readOnly: point.readOnly || parsed.value.readOnly, ...(point.type === 'volume' ? { copyImageContent: false } : {}) });
      }
    }
    return ok([...points.values()]);
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
   * A volume disk of `record` that one of `live` (containers whose VMs run or start, or whose
   * file systems are mounted on the host for a copy) already has:
   * two VMs writing one ext4 disk would corrupt it, so unlike dockerd's directories a vic volume
   * is in one running container at a time, as VIC's disks were.
   */
  sharedWithLive(record: ContainerRecord, live: ContainerRecord[]): string | null {
    for (const point of record.mounts ?? []) {
      if (point.type !== 'volume') continue;
      const holder = live.find((other) => other.id !== record.id && other.mounts?.some((mount) => mount.type === 'volume' && mount.name === point.name));
      if (holder) return `volume ${point.name} is attached to container ${holder.id}, which is running or being copied: a vic volume is a disk, attached to one container VM or host copy at a time`;
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
