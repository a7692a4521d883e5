import { JsonRecordDirectory } from '../state/json-record-directory';
import { execIdOfSession, type ExecRecord } from './exec-record';

/** Exec instances under the VCH's state directory (`execs/<id>.json`), so inspection survives a restart. */
export class ExecStore {
  private constructor(private readonly records: JsonRecordDirectory<ExecRecord>) {}

  /** Records of execs that ran when the endpoint stopped stay running until ExecRuntime.adoptRunning settles them. */
  static async open(dir: string): Promise<ExecStore> {
    return new ExecStore(await JsonRecordDirectory.open(dir));
  }

  get(id: string): ExecRecord | undefined {
    return this.records.get(id);
  }

  /**
   * How to carry a running exec's session in a VM taken over after a restart (see
   * TetherClientOptions.adoptSession); null for a session that is no running exec of ours.
   */
  sessionStreams(sessionId: string): { tty: boolean; openStdin: boolean } | null {
    const execId = execIdOfSession(sessionId);
    const record = execId === null ? undefined : this.records.get(execId);
    return record?.running ? { tty: record.config.Tty === true, openStdin: record.config.AttachStdin === true } : null;
  }

  running(): ExecRecord[] {
    return this.records.all().filter((record) => record.running);
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
