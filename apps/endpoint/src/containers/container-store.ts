import { JsonRecordDirectory } from '../state/json-record-directory';
import type { ContainerRecord } from './container-record';

/** Container records under the VCH's state directory (`containers/<id>.json`). */
export class ContainerStore {
  private constructor(private readonly records: JsonRecordDirectory<ContainerRecord>) {}

  static async open(dir: string): Promise<ContainerStore> {
    return new ContainerStore(await JsonRecordDirectory.open<ContainerRecord>(dir));
  }

  all(): ContainerRecord[] {
    return this.records.all();
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

  put(record: ContainerRecord): Promise<void> {
    return this.records.put(record);
  }

  remove(id: string): Promise<void> {
    return this.records.remove(id);
  }
}
