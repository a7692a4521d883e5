import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultAccel } from './accel';
import { readConsoleLog, waitForConsoleText } from './console-log';
import { QmpClient, type QmpEvent } from './qmp-client';
import { qemuArgs } from './qemu-args';
import { AdoptedProcess } from './adopted-process';
import { QemuProcess, type VmProcess } from './qemu-process';
import { registerVm, unregisterVm, type RegisteredVm } from './vm-registry';
import { VmFiles } from './vm-files';
import type { VmExit, VmSpec } from './vm-spec';

/** From spawn to a working QMP connection; generous because TCG hosts are often busy. */
export const VM_START_TIMEOUT_MS = 15_000;
/** How long stop() lets QEMU act on `quit` before SIGKILL. */
export const VM_QUIT_TIMEOUT_MS = 5_000;
const QMP_RETRY_MS = 20;

/**
 * One running QEMU VM: a process, its QMP control connection, its console log and the unix socket
 * of its tether channel. It owns all of them: stop() and kill() end the process and remove the
 * files, are idempotent and may race each other; a guest that powers off leaves its console log
 * readable until then.
 */
export class QemuVm implements RegisteredVm {
  /** Resolves (never rejects) when the QEMU process has exited. */
  readonly exited: Promise<VmExit>;
  private qmp: QmpClient | null = null;
  private shutdownReason: string | null = null;
  private finishing: Promise<VmExit> | null = null;

  private constructor(
    readonly name: string,
    private readonly qemu: VmProcess,
    private readonly files: VmFiles,
    /** QEMU may outlive this process (see VmSpec.outlive), so the exit hook must leave it alone. */
    outlives: boolean,
  ) {
    this.exited = qemu.exited.then(({ code, signal }) => {
      this.qmp?.close();
      this.qmp = null;
      return { code, signal, shutdownReason: this.shutdownReason };
    });
    if (!outlives) registerVm(this);
  }

  static async start(spec: VmSpec): Promise<QemuVm> {
    for (const [what, path] of [['kernel', spec.kernel], ['initrd', spec.initrd], ...(spec.disks ?? []).map((d) => ['disk', d.path])]) {
      if (!path || !existsSync(path)) throw new Error(`VM ${spec.name}: ${what} ${path} does not exist`);
    }
    if (spec.outlive && !spec.workDir) throw new Error(`VM ${spec.name}: a VM that outlives the endpoint needs a workDir to keep its files in`);
    const files = VmFiles.create(spec.name, spec.workDir);
    let qemu: QemuProcess;
    try {
      const args = qemuArgs({
        name: spec.name,
        kernel: spec.kernel,
        initrd: spec.initrd,
        append: spec.append,
        memoryMiB: spec.memoryMiB ?? 512,
        cpus: spec.cpus ?? 1,
        disks: spec.disks ?? [],
        nics: spec.nics ?? [],
        sharedDirs: spec.sharedDirs ?? [],
        accel: spec.accel ?? (await defaultAccel()),
        paths: files.paths,
      });
      qemu = QemuProcess.spawn(args, spec.outlive ? { outlive: { stderrFile: files.paths.stderrLog } } : {});
    } catch (err) {
      files.remove();
      throw err;
    }
    const vm = new QemuVm(spec.name, qemu, files, spec.outlive === true);
    try {
      await vm.connectQmp(VM_START_TIMEOUT_MS);
    } catch (err) {
      await vm.kill();
      throw err;
    }
    return vm;
  }

  /**
   * Takes over a VM that a previous endpoint started with `outlive` (its process, identified by pid
   * and start time, and its files in `workDir`) and reconnects to its QMP socket.
   */
  static async adopt(name: string, workDir: string, process: { pid: number; startTime: number }): Promise<QemuVm> {
    const files = VmFiles.create(name, workDir);
    const vm = new QemuVm(name, new AdoptedProcess(process.pid, process.startTime, files.paths.stderrLog), files, true);
    try {
      await vm.connectQmp(VM_START_TIMEOUT_MS);
    } catch (err) {
      vm.release();
      throw err;
    }
    return vm;
  }

  /** Lets go of the VM without ending it: closes QMP and stops watching, so a later endpoint can adopt it. */
  release(): void {
    this.qmp?.close();
    this.qmp = null;
    this.qemu.release();
  }

  /** QEMU's pid; the VM is gone once `exited` resolves. */
  get pid(): number {
    return this.qemu.pid ?? -1;
  }

  get running(): boolean {
    return this.qemu.running;
  }

  /** Host end of the `vic.tether` virtio-serial port: a unix socket QEMU listens on. */
  get channelPath(): string {
    return this.files.paths.channelSocket;
  }

  /** The guest's ttyS0, as a file. */
  get consoleLogPath(): string {
    return this.files.paths.consoleLog;
  }

  get workDir(): string {
    return this.files.dir;
  }

  readConsole(): Promise<string> {
    return readConsoleLog(this.consoleLogPath);
  }

  /** Resolves with the console so far once it contains `pattern`; rejects on timeout or exit without it. */
  waitForConsole(pattern: RegExp | string, timeoutMs: number): Promise<string> {
    return waitForConsoleText(this.consoleLogPath, pattern, timeoutMs, this.exited, this.name);
  }

  /** Resolves when QEMU exits; rejects after `timeoutMs` without touching the VM. */
  async waitForExit(timeoutMs: number): Promise<VmExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`VM ${this.name} (pid ${this.pid}) still running after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Freezes the guest's vCPUs (QMP stop). */
  async pause(): Promise<void> {
    await this.control('stop');
  }

  /** Lets a paused guest run again (QMP cont). */
  async resume(): Promise<void> {
    await this.control('cont');
  }

  /** Presses the ACPI power button; the guest decides what to do about it. */
  async powerdown(): Promise<void> {
    await this.control('system_powerdown');
  }

  /**
   * Ends QEMU with QMP `quit`, SIGKILL if it has not exited after `timeoutMs`, then removes the
   * VM's files. Resolves with how QEMU exited; on an exited VM it only cleans up.
   */
  stop(timeoutMs = VM_QUIT_TIMEOUT_MS): Promise<VmExit> {
    if (this.qemu.running && !this.finishing) {
      const killTimer = setTimeout(() => this.qemu.signal('SIGKILL'), timeoutMs);
      void this.exited.then(() => clearTimeout(killTimer));
      // QEMU may exit before its answer to `quit` is read, which fails the command: the
      // process's exit is the answer that counts, and SIGKILL follows if it never comes.
      if (this.qmp) void this.qmp.execute('quit', undefined, timeoutMs).catch((err: Error) => err);
      else this.qemu.signal('SIGKILL');
    }
    return this.finish();
  }

  /** SIGKILLs QEMU now and removes the VM's files. */
  kill(): Promise<VmExit> {
    this.qemu.signal('SIGKILL');
    return this.finish();
  }

  /** For the process exit hook: nothing asynchronous runs after 'exit'. */
  killSync(): void {
    this.qemu.signal('SIGKILL');
    this.qmp?.close();
    this.files.remove();
    unregisterVm(this);
  }

  private finish(): Promise<VmExit> {
    this.finishing ??= this.exited.then((exit) => {
      this.files.remove();
      unregisterVm(this);
      return exit;
    });
    return this.finishing;
  }

  /** A QMP command this class has no method of its own for (NIC hotplug). */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (!this.qmp) throw new Error(`VM ${this.name}: cannot ${command}, QEMU is not running`);
    return this.qmp.execute(command, args);
  }

  private async control(command: string): Promise<void> {
    if (!this.qmp) throw new Error(`VM ${this.name}: cannot ${command}, QEMU is not running`);
    await this.qmp.execute(command);
  }

  private onEvent(event: QmpEvent): void {
    if (event.event === 'SHUTDOWN' && typeof event.data?.reason === 'string') this.shutdownReason = event.data.reason;
  }

  /** QEMU listens on the QMP socket once it has parsed its arguments and made its devices. */
  private async connectQmp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: Error | null = null;
    while (this.qemu.running && Date.now() < deadline) {
      if (existsSync(this.files.paths.qmpSocket)) {
        try {
          this.qmp = await QmpClient.connect(this.files.paths.qmpSocket, (e) => this.onEvent(e), Math.max(deadline - Date.now(), 1));
          return;
        } catch (err) {
          lastError = err as Error;
        }
      }
      await sleep(QMP_RETRY_MS);
    }
    if (!this.qemu.running) {
      const { code, signal } = await this.qemu.exited;
      throw new Error(`VM ${this.name}: qemu exited (${signal ?? `code ${code}`}) before it was ready: ${this.qemu.stderrTail || 'no output'}`);
    }
    throw new Error(`VM ${this.name}: no QMP connection within ${timeoutMs} ms${lastError ? ` (${lastError.message})` : ''}; qemu said: ${this.qemu.stderrTail || 'nothing'}`);
  }
}
