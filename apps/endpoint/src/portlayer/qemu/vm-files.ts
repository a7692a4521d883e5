import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VmPaths } from './qemu-args';

/** Linux limits a unix socket path to 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

/**
 * The folder holding one VM's console log and sockets. It owns what it created: the whole folder
 * when it made a temporary one, otherwise only the VM's files inside the caller's folder.
 */
export class VmFiles {
  private removed = false;

  private constructor(
    readonly dir: string,
    readonly paths: VmPaths,
    private readonly ownsDir: boolean,
  ) {}

  static create(name: string, workDir?: string): VmFiles {
    let dir: string;
    let ownsDir: boolean;
    if (workDir) {
      mkdirSync(workDir, { recursive: true });
      dir = workDir;
      ownsDir = false;
    } else {
      const label = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 24);
      dir = mkdtempSync(join(tmpdir(), `vic-vm-${label}-`));
      ownsDir = true;
    }
    const paths: VmPaths = {
      consoleLog: join(dir, 'console.log'),
      stderrLog: join(dir, 'qemu.stderr'),
      channelSocket: join(dir, 'tether.sock'),
      qmpSocket: join(dir, 'qmp.sock'),
    };
    for (const socket of [paths.channelSocket, paths.qmpSocket]) {
      if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
        if (ownsDir) rmSync(dir, { recursive: true, force: true });
        throw new Error(`VM ${name}: socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter workDir`);
      }
    }
    return new VmFiles(dir, paths, ownsDir);
  }

  /** Idempotent; synchronous so the process exit hook can use it too. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    if (this.ownsDir) {
      rmSync(this.dir, { recursive: true, force: true });
      return;
    }
    for (const path of Object.values(this.paths)) rmSync(path, { force: true });
  }

  get exists(): boolean {
    return existsSync(this.dir);
  }
}
