import { JsonRecordDirectory } from '../state/json-record-directory';
import type { ExecRecord } from './exec-record';

/** Exec instances under the VCH's state directory (`execs/<id>.json`), so inspection survives a restart. */
export class ExecStore {
  private constructor(private readonly records: JsonRecordDirectory<ExecRecord>) {}

  static async open(dir: string): Promise<ExecStore> {
    // An exec that was running when the endpoint stopped ended with its container's VM.
    const adopt = (record: ExecRecord) => (record.running ? { ...record, running: false, exitCode: record.exitCode ?? 255 } : record);
    return new ExecStore(await JsonRecordDirectory.open(dir, adopt));
  }

  get(id: string): ExecRecord | undefined {
    return this.records.get(id);
  }

  ofContainer(containerId: string): ExecRecord[] {
    return this.records.all().filter((record) => record.containerId === containerId);
  }

  put(record: ExecRecord): Promise<void> {
    return this.records.put(record);
  }

  async removeContainer(containerId: string): Promise<void> {
    for (const record of this.ofContainer(containerId)) await this.records.remove(record.id);
  }
}
