import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { exitCode } from '@vic/protocol';
import { fail, ok, type Result } from '@vic/imagec';
import type { EventLog } from '../events/event-log';
import type { ContainerRuntime } from '../containers/container-runtime';
import { pipeClientInput } from '../containers/client-input';
import { VM_GONE_EXIT_CODE, type RunningContainer } from '../containers/running-container';
import { ttySize } from '../containers/tty-size';
import type { OutputSink } from '../containers/output-sink';
import type { SessionHandle } from '../tether-bridge/session-handle';
import { execSessionId, type ExecCreateConfig, type ExecRecord } from './exec-record';
import type { ExecStore } from './exec-store';

export type ExecErrorCode = 'NO_SUCH_CONTAINER' | 'NO_SUCH_EXEC' | 'CONFLICT' | 'INVALID_CONFIG';

export interface ExecStartOptions {
  /** The client's streams; absent for a detached exec, whose output is dropped as dockerd drops it. */
  client?: { sink: OutputSink; stdin: Readable; detachKeys?: Buffer };
  consoleSize?: [number, number] | null;
}

/** The exit code dockerd gives an exec whose command could not be started: 127 when it is not there, 126 otherwise. */
function startFailureExitCode(message: string): number {
  return /executable file not found|no such file or directory/i.test(message) ? 127 : 126;
}

/** `docker exec`: extra processes in a running container's VM, each a tether session of its own. */
export class ExecRuntime {
  private readonly sessions = new Map<string, SessionHandle>();

  constructor(
    private readonly containers: ContainerRuntime,
    private readonly store: ExecStore,
    private readonly events: EventLog,
  ) {
    events.subscribe((event) => {
      if (event.Type === 'container' && event.Action === 'destroy') void store.removeContainer(event.Actor.ID);
    });
  }

  get(id: string): Result<ExecRecord, ExecErrorCode> {
    const record = this.store.get(id);
    return record ? ok(record) : fail('NO_SUCH_EXEC', `No such exec instance: ${id}`);
  }

  async create(containerInput: string, config: ExecCreateConfig): Promise<Result<ExecRecord, ExecErrorCode>> {
    const found = this.containers.find(containerInput);
    if (!found.ok) return fail('NO_SUCH_CONTAINER', found.error.message);
    const container = found.value;
    const running = this.containers.runningContainer(container.id);
    if (!running) return fail('CONFLICT', `Container ${container.id} is not running`);
    if (running.paused) return fail('CONFLICT', `Container ${container.id} is paused, unpause the container before exec`);
    if (!config.Cmd || config.Cmd.length === 0) return fail('INVALID_CONFIG', 'No exec command specified');
    const record: ExecRecord = { id: randomBytes(32).toString('hex'), containerId: container.id, config, running: false, exitCode: null, pid: 0 };
    await this.store.put(record);
    this.events.emit('container', `exec_create: ${config.Cmd.join(' ')}`, container.id, { execID: record.id, name: container.name, image: container.imageName });
    return ok(record);
  }

  /** Starts the exec; resolves once it runs (or failed to), its exit is recorded in the background. */
  async start(id: string, options: ExecStartOptions): Promise<Result<void, ExecErrorCode>> {
    const found = this.get(id);
    if (!found.ok) return found;
    const record = found.value;
    if (record.running) return fail('CONFLICT', `Error: Exec command ${id} is already running`);
    if (record.exitCode !== null) return fail('CONFLICT', `Error: Exec command ${id} has already run`);
    const container = this.containers.find(record.containerId);
    const running = this.containers.runningContainer(record.containerId);
    if (!container.ok || !running) return fail('CONFLICT', `Container ${record.containerId} is not running`);
    const { config } = record;
    const { client } = options;
    let session: SessionHandle | undefined;
    try {
      session = await running.vm.client.startSession({
        id: execSessionId(id),
        argv: config.Cmd,
        env: [...container.value.env, ...(config.Env ?? [])],
        ...(config.WorkingDir || container.value.config.WorkingDir ? { cwd: config.WorkingDir || container.value.config.WorkingDir } : {}),
        ...(config.User || container.value.config.User ? { user: config.User || container.value.config.User } : {}),
        ...(config.Tty ? { tty: ttySize(options.consoleSize ?? config.ConsoleSize) } : {}),
        openStdin: config.AttachStdin === true,
        holdUntilAttached: true,
      });
      const started = session;
      started.stdout.on('data', (chunk: Buffer) => client?.sink.write('stdout', chunk));
      started.stderr.on('data', (chunk: Buffer) => client?.sink.write('stderr', chunk));
      if (client && started.stdin) {
        pipeClientInput(client.stdin, started.stdin, { ...(client.detachKeys ? { detachKeys: client.detachKeys } : {}), closeOnEnd: true, onDetach: () => client.sink.end() });
      }
      // The process starts here: a command that is not there fails now.
      await started.attach();
    } catch (error) {
      // As dockerd: the client's stream carries the error, and inspect shows the exit code the CLI exits with.
      const message = (error as Error).message;
      await this.store.put({ ...record, exitCode: startFailureExitCode(message), error: message });
      await session?.release().catch(() => undefined);
      client?.sink.write('stdout', Buffer.from(`OCI runtime exec failed: ${message}: unknown\r\n`));
      client?.sink.end();
      return ok(undefined);
    }
    await this.store.put({ ...record, running: true, pid: session.status.pid ?? 0 });
    this.events.emit('container', `exec_start: ${config.Cmd.join(' ')}`, record.containerId, { execID: id, name: container.value.name, image: container.value.imageName });
    this.watchExit(record, session, running, client?.sink);
    return ok(undefined);
  }

  /**
   * After an endpoint restart: an exec that ran goes on in its container's adopted VM (its output
   * is dropped, no client is left to read it) and its exit is recorded; one whose VM is gone ended
   * with it, as if SIGKILLed.
   */
  async adoptRunning(): Promise<void> {
    for (const record of this.store.running()) {
      const running = this.containers.runningContainer(record.containerId);
      const session = running?.vm.client.adoptedSession(execSessionId(record.id));
      if (!running || !session) {
        await this.store.put({ ...record, running: false, exitCode: VM_GONE_EXIT_CODE });
        continue;
      }
      session.stdout.resume();
      session.stderr.resume();
      this.watchExit(record, session, running);
    }
  }

  /** Records the exec's exit once its process ended and its output was read; a VM that goes away takes its execs with it. */
  private watchExit(record: ExecRecord, session: SessionHandle, running: RunningContainer, sink?: OutputSink): void {
    const { id, containerId } = record;
    this.sessions.set(id, session);
    void Promise.race([session.finished().then(exitCode), running.exited.then(() => VM_GONE_EXIT_CODE)]).then(async (code) => {
      if (this.containers.released) return; // the exec belongs to the next endpoint now
      await this.store.put({ ...this.store.get(id)!, running: false, exitCode: code });
      sink?.end();
      this.sessions.delete(id);
      await session.release().catch(() => undefined); // the VM may be powering off already
      const container = this.containers.find(containerId);
      const actor: Record<string, string> = container.ok ? { name: container.value.name, image: container.value.imageName } : {};
      this.events.emit('container', 'exec_die', containerId, { execID: id, exitCode: String(code), ...actor });
    });
  }

  async resize(id: string, size: { rows: number; cols: number }): Promise<Result<void, ExecErrorCode>> {
    const found = this.get(id);
    if (!found.ok) return found;
    const session = this.sessions.get(id);
    if (!session) return fail('CONFLICT', `Exec ${id} is not running`);
    if (found.value.config.Tty) await session.resize(size);
    return ok(undefined);
  }
}
