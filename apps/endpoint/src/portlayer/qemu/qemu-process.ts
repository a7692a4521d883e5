import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { closeSync, existsSync, openSync } from 'node:fs';
import { readTail } from './read-tail';

export const QEMU_BINARY = process.env.VIC_QEMU ?? 'qemu-system-x86_64';

/** setpriv asks the kernel to SIGKILL QEMU when this process dies, even by SIGKILL itself. */
const SETPRIV = '/usr/bin/setpriv';

/** QEMU's stderr is kept for error messages, up to this many bytes (the last ones). */
const STDERR_TAIL_BYTES = 8 * 1024;

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

export interface SpawnOptions {
  /** stdout is ignored unless asked for: VMs send their console to a file, the KVM probe reads it. */
  stdout?: 'ignore' | 'pipe';
  /**
   * The VM outlives this process (the endpoint may restart and take it over): QEMU gets a session
   * of its own, no death signal, and its stderr goes to this file instead of a pipe.
   */
  outlive?: { stderrFile: string };
}

/** One qemu-system process: its pid, its exit, the tail of what it said on stderr. */
export class QemuProcess implements VmProcess {
  readonly exited: Promise<ProcessExit>;
  private stderr = '';
  private exitInfo: ProcessExit | null = null;

  private constructor(
    private readonly child: ChildProcess,
    /** Where stderr goes for a QEMU that may outlive this process. */
    private readonly stderrFile?: string,
  ) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.stderr += `\nspawn ${QEMU_BINARY}: ${err.message}`;
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
    const stdout = options.stdout ?? 'ignore';
    if (options.outlive) {
      const stderr = openSync(options.outlive.stderrFile, 'a');
      try {
        return new QemuProcess(spawn(QEMU_BINARY, args, { stdio: ['ignore', stdout, stderr], detached: true }), options.outlive.stderrFile);
      } finally {
        closeSync(stderr);
      }
    }
    const [command, argv] = existsSync(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', QEMU_BINARY, ...args]]
      : [QEMU_BINARY, args];
    return new QemuProcess(spawn(command, argv, { stdio: ['ignore', stdout, 'pipe'] }));
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
    return (this.stderrFile ? readTail(this.stderrFile, STDERR_TAIL_BYTES) : this.stderr).trim();
  }

  release(): void {
    this.child.unref();
  }

  /** No-op once the process has exited, so a recycled pid is never signalled. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }
}
