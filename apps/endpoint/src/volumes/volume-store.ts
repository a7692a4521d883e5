import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fail, ok, type Result } from '@vic/imagec';
import type { EventLog } from '../events/event-log';
import { JsonRecordDirectory } from '../state/json-record-directory';
import { DEFAULT_CAPACITY_MIB, parseCapacity } from './capacity';
import { createVolumeDisk } from './volume-disk';
import { ANONYMOUS_LABEL, VOLUME_DRIVERS, type VolumeDriver, type VolumeRecord } from './volume-record';

export type VolumeErrorCode = 'NO_SUCH_VOLUME' | 'INVALID_VOLUME' | 'VOLUME_IN_USE';

/** What `POST /volumes/create` asks for. */
export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** dockerd's local driver's rule for volume names. */
const validName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** The driver options vic reads (as VIC did); dockerd's local driver refuses any other. */
const KNOWN_OPTIONS = ['Capacity', 'VolumeStore'];
/** The store anonymous volumes and volumes without a `VolumeStore` option go to, as in VIC. */
export const DEFAULT_VOLUME_STORE = 'default';

/**
 * The VCH's volumes: one record under `dir` and one ext4 disk per volume, in the volume store
 * (a directory, chosen by label, as `vic-machine --volume-store` names them) it was made in;
 * the "default" store is `dir/disks` unless given. Which containers use a volume is asked of
 * `usersOf` (the container records), so it is never stale.
 */
export class VolumeStore {
  private constructor(
    private readonly stores: Map<string, string>,
    private readonly records: JsonRecordDirectory<VolumeRecord>,
    private readonly events: EventLog,
    private readonly usersOf: (name: string) => string[],
  ) {}

  static async open(dir: string, events: EventLog, usersOf: (name: string) => string[], volumeStores: Record<string, string> = {}): Promise<VolumeStore> {
    const stores = new Map(Object.entries({ [DEFAULT_VOLUME_STORE]: join(dir, 'disks'), ...volumeStores }));
    for (const storeDir of stores.values()) await mkdir(storeDir, { recursive: true });
    return new VolumeStore(stores, await JsonRecordDirectory.open<VolumeRecord>(join(dir, 'records')), events, usersOf);
  }

  /** Store labels and their directories. */
  storeDirs(): ReadonlyMap<string, string> {
    return this.stores;
  }

  all(): VolumeRecord[] {
    return this.records.all();
  }

  get(name: string): Result<VolumeRecord, VolumeErrorCode> {
    const record = this.records.get(name);
    return record ? ok(record) : fail('NO_SUCH_VOLUME', `get ${name}: no such volume`);
  }

  /** IDs of the containers (running or not) that have the volume. */
  users(name: string): string[] {
    return this.usersOf(name);
  }

  /**
   * Makes a volume, or returns the one that has the name already (as dockerd does when the
   * driver matches or none is asked for). No name makes an anonymous volume with a random one.
   */
  async create(request: VolumeCreateRequest, anonymous = false): Promise<Result<VolumeRecord, VolumeErrorCode>> {
    const name = request.Name || randomBytes(32).toString('hex');
    if (!validName.test(name)) {
      return fail('INVALID_VOLUME', `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
    }
    const driver = request.Driver || 'local';
    if (!(VOLUME_DRIVERS as readonly string[]).includes(driver)) return fail('INVALID_VOLUME', `error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const existing = this.records.get(name);
    if (existing) {
      // No driver asked for (a container's `-v name:/path`) takes the volume whatever its driver.
      if (request.Driver && existing.driver !== driver) return fail('INVALID_VOLUME', `create ${name}: volume name must be unique: a volume with the same name already exists with a different driver`);
      return ok(existing);
    }
    const options = request.DriverOpts ?? {};
    const unknown = Object.keys(options).find((option) => !KNOWN_OPTIONS.includes(option));
    if (unknown !== undefined) return fail('INVALID_VOLUME', `create ${name}: invalid option: "${unknown}"`);
    const capacity = options.Capacity === undefined ? ok(DEFAULT_CAPACITY_MIB) : parseCapacity(options.Capacity);
    if (!capacity.ok) return fail('INVALID_VOLUME', `create ${name}: ${capacity.error.message}`);
    const store = options.VolumeStore ?? DEFAULT_VOLUME_STORE;
    const storeDir = this.stores.get(store);
    if (storeDir === undefined) return fail('INVALID_VOLUME', `create ${name}: no volume store named "${store}"; this VCH has ${[...this.stores.keys()].join(', ')}`);
    const record: VolumeRecord = {
      id: name,
      driver: driver as VolumeDriver,
      createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      labels: { ...(request.Labels ?? {}), ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) },
      options,
      capacityMiB: capacity.value,
      store,
      disk: join(storeDir, `${name}.ext4`),
    };
    await createVolumeDisk(record.disk, record.capacityMiB, name);
    await this.records.put(record);
    this.events.emit('volume', 'create', name, { driver });
    return ok(record);
  }

  /** Bytes the volume's sparse disk takes on the host (what removing it gives back). */
  async diskUsage(name: string): Promise<number> {
    const record = this.records.get(name);
    if (!record) return 0;
    const { blocks } = await stat(record.disk);
    return blocks * 512;
  }

  /** Removes a volume no container has, with its disk; `force` only makes a missing volume no error, as in dockerd. */
  async remove(name: string, force = false): Promise<Result<void, VolumeErrorCode>> {
    const record = this.records.get(name);
    if (!record) return force ? ok(undefined) : fail('NO_SUCH_VOLUME', `get ${name}: no such volume`);
    const users = this.usersOf(name);
    if (users.length > 0) return fail('VOLUME_IN_USE', `remove ${name}: volume is in use - [${users.join(', ')}]`);
    await this.records.remove(name);
    await rm(record.disk, { force: true });
    this.events.emit('volume', 'destroy', name, { driver: record.driver });
    return ok(undefined);
  }
}
