import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadOnlyView } from './read-only-view';
import { registerVm, unregisterVm, type RegisteredVm } from './vm-registry';

export const VIRTIOFSD = process.env.VIC_VIRTIOFSD ?? '/usr/lib/qemu/virtiofsd';
const SETPRIV = '/usr/bin/setpriv';
/** From spawn to its vhost-user socket being there. */
const SOCKET_TIMEOUT_MS = 10_000;
const STDERR_TAIL_BYTES = 4 * 1024;
/** How long stop() lets it act on SIGTERM before SIGKILL. */
const STOP_TIMEOUT_MS = 3_000;

/**
 * One virtiofsd sharing a host directory with one VM over a vhost-user socket. The VM that uses
 * it owns it: `stop()` ends it with the VM; the registry ends it if the endpoint exits first, and
 * setpriv's parent-death signal if the endpoint is killed.
 */
export class VirtiofsDaemon implements RegisteredVm {
  private stderr = '';
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly socketPath: string,
    private readonly view: ReadOnlyView | null,
  ) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.stderr += `\nspawn ${VIRTIOFSD}: ${error.message}`;
        resolve();
      });
      child.once('close', () => resolve());
    });
    registerVm(this);
  }

  /**
   * Serves `source` on `socketPath` (through a read-only view of it when `readOnly`); resolves
   * once the socket is there for QEMU to connect to. cache=none: the host and the container both
   * write the directory, and each must see the other's changes at once rather than after a cache timeout.
   */
  static async start(source: string, socketPath: string, readOnly: boolean): Promise<VirtiofsDaemon> {
    rmSync(socketPath, { force: true });
    const view = readOnly ? await ReadOnlyView.create(source) : null;
    const args = [`--socket-path=${socketPath}`, '-o', `source=${view?.path ?? source}`, '-o', 'cache=none'];
    const [command, argv] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', VIRTIOFSD, ...args]] : [VIRTIOFSD, args];
    const daemon = new VirtiofsDaemon(`virtiofsd ${source}`, spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] }), socketPath, view);
    const deadline = Date.now() + SOCKET_TIMEOUT_MS;
    while (!existsSync(socketPath)) {
      if (daemon.child.exitCode !== null || daemon.child.signalCode !== null || Date.now() > deadline) {
        await daemon.stop();
        throw new Error(`virtiofsd for ${source} did not open ${socketPath} within ${SOCKET_TIMEOUT_MS} ms: ${daemon.stderr.trim() || 'no output'}`);
      }
      await sleep(20);
    }
    return daemon;
  }

  /** Ends the daemon (it also ends by itself when QEMU disconnects) and removes its socket. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const killTimer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(killTimer);
    await this.view?.remove();
    this.cleanUp();
  }

  kill(): Promise<void> {
    return this.stop();
  }

  killSync(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.view?.removeSync();
    this.cleanUp();
  }

  private cleanUp(): void {
    rmSync(this.socketPath, { force: true });
    unregisterVm(this);
  }
}
