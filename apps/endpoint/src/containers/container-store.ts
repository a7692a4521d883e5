import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@vic/imagec';
import type { ContainerRecord } from './container-record';

/** Container records under the VCH's state directory, one atomically replaced JSON file each. */
export class ContainerStore {
  private readonly records = new Map<string, ContainerRecord>();

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<ContainerStore> {
    const store = new ContainerStore(dir);
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as ContainerRecord;
      store.records.set(record.id, record);
    }
    return store;
  }

  all(): ContainerRecord[] {
    return [...this.records.values()];
  }

  get(id: string): ContainerRecord | undefined {
    return this.records.get(id);
  }

  /** By full ID, unique ID prefix or name (with or without the leading `/`), as dockerd finds containers. */
  find(input: string): ContainerRecord | undefined {
    const exact = this.records.get(input);
    if (exact) return exact;
    const name = input.replace(/^\//, '');
    const byName = this.all().find((record) => record.name === name);
    if (byName) return byName;
    const byPrefix = this.all().filter((record) => record.id.startsWith(input));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  async put(record: ContainerRecord): Promise<void> {
    await writeFileAtomic(join(this.dir, `${record.id}.json`), JSON.stringify(record, null, 1));
    this.records.set(record.id, record);
  }

  async remove(id: string): Promise<void> {
    await rm(join(this.dir, `${id}.json`), { force: true });
    this.records.delete(id);
  }
}
