import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { readTail } from './read-tail';

/** setpriv asks the kernel to SIGKILL the child when this process dies, even by SIGKILL itself. */
const SETPRIV = '/usr/bin/setpriv';

export interface OwnedChildOptions {
  /** stdout is ignored unless asked for. */
  stdout?: 'ignore' | 'pipe';
  /**
   * The child outlives this process (a VM and its helpers, kept for the endpoint that adopts
   * them): a session of its own, no death signal, and stderr to this file instead of a pipe.
   */
  outlive?: { stderrFile: string };
  /** How much of its stderr is kept for error messages (the last bytes). */
  stderrTailBytes: number;
}

/**
 * A helper process the endpoint starts for a VM (QEMU, virtiofsd): it dies with the endpoint
 * unless it is to outlive it, and the tail of what it said on stderr is kept for error messages.
 */
export class OwnedChild {
  private stderr = '';

  private constructor(
    readonly child: ChildProcess,
    private readonly options: OwnedChildOptions,
    binary: string,
  ) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-options.stderrTailBytes);
    });
    child.once('error', (error) => (this.stderr += `\nspawn ${binary}: ${error.message}`));
  }

  static spawn(binary: string, args: string[], options: OwnedChildOptions): OwnedChild {
    const stdout = options.stdout ?? 'ignore';
    if (options.outlive) {
      const stderr = openSync(options.outlive.stderrFile, 'a');
      try {
        return new OwnedChild(spawn(binary, args, { stdio: ['ignore', stdout, stderr], detached: true }), options, binary);
      } finally {
        closeSync(stderr);
      }
    }
    const [command, argv] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', binary, ...args]] : [binary, args];
    return new OwnedChild(spawn(command, argv, { stdio: ['ignore', stdout, 'pipe'] }), options, binary);
  }

  /** The last of its stderr (from its file when it outlives the endpoint), trimmed. */
  get stderrTail(): string {
    const { outlive, stderrTailBytes } = this.options;
    return ((outlive ? readTail(outlive.stderrFile, stderrTailBytes) : '') + this.stderr).trim();
  }
}
