import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { OwnedChild } from './owned-child';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadOnlyView } from './read-only-view';
import { registerVm, unregisterVm, type RegisteredVm } from './vm-registry';

export const VIRTIOFSD = process.env.VIC_VIRTIOFSD ?? '/usr/lib/qemu/virtiofsd';
/** From spawn to its vhost-user socket being there. */
const SOCKET_TIMEOUT_MS = 10_000;
const STDERR_TAIL_BYTES = 4 * 1024;
/** How long stop() lets it act on SIGTERM before SIGKILL. */
const STOP_TIMEOUT_MS = 3_000;
/** Beside the socket of a daemon that may outlive the endpoint: its read-only view, for the endpoint that adopts the VM to remove. */
const VIEW_NOTE_SUFFIX = '.view';

/**
 * One virtiofsd sharing a host directory with one VM over a vhost-user socket. The VM that uses
 * it owns it: `stop()` ends it with the VM. When the VM may outlive the endpoint, so does the
 * daemon (own session, stderr to a file beside its socket) and `release()` lets go of it;
 * otherwise the registry ends it if the endpoint exits first, and setpriv's parent-death signal
 * if the endpoint is killed. virtiofsd also ends by itself when QEMU disconnects.
 */
export class VirtiofsDaemon implements RegisteredVm {
  private readonly exited: Promise<void>;
  private readonly child: ChildProcess;

  private constructor(
    readonly name: string,
    private readonly owned: OwnedChild,
    readonly socketPath: string,
    private readonly view: ReadOnlyView | null,
    outlives: boolean,
  ) {
    const { child } = owned;
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('error', () => resolve());
      child.once('close', () => resolve());
    });
    if (!outlives) registerVm(this);
  }

  /**
   * Serves `source` on `socketPath` (through a read-only view of it when `readOnly`); resolves
   * once the socket is there for QEMU to connect to. cache=none: the host and the container both
   * write the directory, and each must see the other's changes at once rather than after a cache timeout.
   */
  static async start(source: string, socketPath: string, readOnly: boolean, outlive = false): Promise<VirtiofsDaemon> {
    rmSync(socketPath, { force: true });
    const view = readOnly ? await ReadOnlyView.create(source) : null;
    if (view && outlive) writeFileSync(socketPath + VIEW_NOTE_SUFFIX, view.path);
    const args = [`--socket-path=${socketPath}`, '-o', `source=${view?.path ?? source}`, '-o', 'cache=none'];
    const owned = OwnedChild.spawn(VIRTIOFSD, args, { ...(outlive ? { outlive: { stderrFile: `${socketPath}.log` } } : {}), stderrTailBytes: STDERR_TAIL_BYTES });
    const { child } = owned;
    const daemon = new VirtiofsDaemon(`virtiofsd ${source}`, owned, socketPath, view, outlive);
    const deadline = Date.now() + SOCKET_TIMEOUT_MS;
    while (!existsSync(socketPath)) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        await daemon.stop();
        throw new Error(`virtiofsd for ${source} did not open ${socketPath} within ${SOCKET_TIMEOUT_MS} ms: ${owned.stderrTail || 'no output'}`);
      }
      await sleep(20);
    }
    return daemon;
  }

  /** Ends the daemon and removes its socket and read-only view. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const killTimer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(killTimer);
    await this.view?.remove();
    this.cleanUp();
  }

  /** Lets go of a daemon that outlives the endpoint: it keeps serving the VM a later endpoint adopts. */
  release(): void {
    this.child.unref();
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
    for (const path of [this.socketPath, this.socketPath + VIEW_NOTE_SUFFIX, `${this.socketPath}.log`]) rmSync(path, { force: true });
    unregisterVm(this);
  }
}

/**
 * For an adopted VM (the endpoint that started it is gone): once it has exited, its daemons have
 * ended with it, and this removes what they leave, the read-only views the note files name and
 * the sockets.
 */
export async function removeDaemonLeftovers(socketPaths: string[]): Promise<void> {
  for (const socketPath of socketPaths) {
    const note = socketPath + VIEW_NOTE_SUFFIX;
    if (existsSync(note)) await ReadOnlyView.at(readFileSync(note, 'utf8').trim()).remove();
    for (const path of [socketPath, note, `${socketPath}.log`]) rmSync(path, { force: true });
  }
}
