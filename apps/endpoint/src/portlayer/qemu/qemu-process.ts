import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { OwnedChild, type OwnedChildOptions } from './owned-child';

export const QEMU_BINARY = process.env.VIC_QEMU ?? 'qemu-system-x86_64';

/** QEMU's stderr is kept for error messages, up to this many bytes (the last ones). */
export const QEMU_STDERR_TAIL_BYTES = 8 * 1024;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A QEMU process as a VM sees it, whether this endpoint spawned it or took it over. */
export interface VmProcess {
  /** Resolves (never rejects) when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly stderrTail: string;
  /** No-op once the process has exited. */
  signal(signal: NodeJS.Signals): void;
  /** Stops watching the process without ending it: the endpoint leaves, the VM stays. */
  release(): void;
}

/** How QEMU is started: see OwnedChildOptions (the KVM probe pipes stdout; VMs may outlive the endpoint). */
export type SpawnOptions = Omit<OwnedChildOptions, 'stderrTailBytes'>;

/** One qemu-system process: its pid, its exit, the tail of what it said on stderr. */
export class QemuProcess implements VmProcess {
  readonly exited: Promise<ProcessExit>;
  private exitInfo: ProcessExit | null = null;
  private readonly child: ChildProcess;

  private constructor(private readonly owned: OwnedChild) {
    const { child } = owned;
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('error', () => {
        this.exitInfo ??= { code: null, signal: null };
        resolve(this.exitInfo);
      });
      child.once('close', (code, signal) => {
        this.exitInfo ??= { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  static spawn(args: string[], options: SpawnOptions = {}): QemuProcess {
    return new QemuProcess(OwnedChild.spawn(QEMU_BINARY, args, { ...options, stderrTailBytes: QEMU_STDERR_TAIL_BYTES }));
  }

  get stdout(): Readable | null {
    return this.child.stdout;
  }

  /** Undefined only when the spawn itself failed. setpriv execs QEMU, so this is QEMU's pid. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get stderrTail(): string {
    return this.owned.stderrTail;
  }

  release(): void {
    this.child.unref();
  }

  /** No-op once the process has exited, so a recycled pid is never signalled. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }
}
