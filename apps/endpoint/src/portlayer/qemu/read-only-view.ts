import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MOUNT_TIMEOUT_MS = 30_000;

/**
 * A read-only bind mount of a host directory, for virtiofsd to share: the container's root is
 * root in its VM and could remount a guest-side read-only mount writable, so `:ro` is enforced
 * on the host. It lives outside the container's directory, so removing the container can never
 * descend into it.
 */
export class ReadOnlyView {
  private removed = false;

  private constructor(readonly path: string) {}

  /** A view an earlier endpoint made, to remove. */
  static at(path: string): ReadOnlyView {
    return new ReadOnlyView(path);
  }

  static async create(source: string): Promise<ReadOnlyView> {
    const path = mkdtempSync(join(tmpdir(), 'vic-ro-'));
    try {
      await run('mount', ['--bind', source, path], { timeout: MOUNT_TIMEOUT_MS });
    } catch (error) {
      rmdirSync(path);
      throw error;
    }
    const view = new ReadOnlyView(path);
    try {
      await run('mount', ['-o', 'remount,bind,ro', path], { timeout: MOUNT_TIMEOUT_MS });
    } catch (error) {
      await view.remove();
      throw error;
    }
    return view;
  }

  /** Unmounts and removes the mount point; idempotent. A mount that will not go keeps its directory rather than being deleted under. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    await run('umount', [this.path], { timeout: MOUNT_TIMEOUT_MS });
    rmdirSync(this.path);
  }

  /** For the process exit hook, where nothing asynchronous runs: lazily, as virtiofsd may not have died yet. */
  removeSync(): void {
    if (this.removed) return;
    this.removed = true;
    execFileSync('umount', ['--lazy', this.path], { timeout: MOUNT_TIMEOUT_MS });
    rmdirSync(this.path);
  }
}
