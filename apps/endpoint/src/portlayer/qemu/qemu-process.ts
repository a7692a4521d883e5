import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { existsSync } from 'node:fs';

export const QEMU_BINARY = process.env.VIC_QEMU ?? 'qemu-system-x86_64';

/** setpriv asks the kernel to SIGKILL QEMU when this process dies, even by SIGKILL itself. */
const SETPRIV = '/usr/bin/setpriv';

/** QEMU's stderr is kept for error messages, up to this many bytes (the last ones). */
const STDERR_TAIL_BYTES = 8 * 1024;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One qemu-system process: its pid, its exit, the tail of what it said on stderr. */
export class QemuProcess {
  readonly exited: Promise<ProcessExit>;
  private stderr = '';
  private exitInfo: ProcessExit | null = null;

  private constructor(private readonly child: ChildProcess) {
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

  /** stdout is ignored unless asked for: VMs send their console to a file, the KVM probe reads it. */
  static spawn(args: string[], stdout: 'ignore' | 'pipe' = 'ignore'): QemuProcess {
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
    return this.stderr.trim();
  }

  /** No-op once the process has exited, so a recycled pid is never signalled. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }
}
