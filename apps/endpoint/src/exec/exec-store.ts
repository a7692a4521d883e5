import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@vic/imagec';
import type { ExecRecord } from './exec-record';

/** Exec instances under the VCH's state directory, one atomically replaced JSON file each. */
export class ExecStore {
  private readonly records = new Map<string, ExecRecord>();

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<ExecStore> {
    const store = new ExecStore(dir);
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as ExecRecord;
      // An exec that was running when the endpoint stopped ended with its container's VM.
      store.records.set(record.id, record.running ? { ...record, running: false, exitCode: record.exitCode ?? 255 } : record);
    }
    return store;
  }

  get(id: string): ExecRecord | undefined {
    return this.records.get(id);
  }

  ofContainer(containerId: string): ExecRecord[] {
    return [...this.records.values()].filter((record) => record.containerId === containerId);
  }

  async put(record: ExecRecord): Promise<void> {
    await writeFileAtomic(join(this.dir, `${record.id}.json`), JSON.stringify(record));
    this.records.set(record.id, record);
  }

  async removeContainer(containerId: string): Promise<void> {
    for (const record of this.ofContainer(containerId)) {
      await rm(join(this.dir, `${record.id}.json`), { force: true });
      this.records.delete(record.id);
    }
  }
}
