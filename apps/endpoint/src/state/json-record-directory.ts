import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@vic/imagec';

/** Records of one kind under a directory, one atomically replaced `<id>.json` each, all held in memory. */
export class JsonRecordDirectory<T extends { id: string }> {
  private readonly records = new Map<string, T>();

  private constructor(private readonly dir: string) {}

  /** Loads every record in `dir` (made if missing), each passed through `adopt` as it is read. */
  static async open<T extends { id: string }>(dir: string, adopt: (record: T) => T = (record) => record): Promise<JsonRecordDirectory<T>> {
    const directory = new JsonRecordDirectory<T>(dir);
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      const record = adopt(JSON.parse(await readFile(join(dir, name), 'utf8')) as T);
      directory.records.set(record.id, record);
    }
    return directory;
  }

  all(): T[] {
    return [...this.records.values()];
  }

  get(id: string): T | undefined {
    return this.records.get(id);
  }

  async put(record: T): Promise<void> {
    await writeFileAtomic(join(this.dir, `${record.id}.json`), JSON.stringify(record, null, 1));
    this.records.set(record.id, record);
  }

  async remove(id: string): Promise<void> {
    await rm(join(this.dir, `${id}.json`), { force: true });
    this.records.delete(id);
  }
}
