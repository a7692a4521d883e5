import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QemuVm, detectAccel, extractBootMedia, killAllVms, liveVms, probeKvm, KVM_PROBE_TIMEOUT_MS, type Accel } from '../apps/endpoint/src/portlayer/qemu';
import { ensureStandInBootstrapIso, FLOOR_MARKER, STAND_IN_MARKER, type BootstrapArtifacts } from './support/bootstrap-iso';

const CONSECUTIVE_BOOTS = 30;
/** A floor boot takes ~2.5 s under TCG on 2 busy cores; a boot that needs 30 s has hung. */
const BOOT_TIMEOUT_MS = 30_000;
const NODE_BOOT_TIMEOUT_MS = 60_000;

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

function describeTimes(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `min ${sorted[0]} ms, median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms`;
}

let artifacts: BootstrapArtifacts;
let accel: Accel;

beforeAll(async () => {
  artifacts = await ensureStandInBootstrapIso();
  accel = await detectAccel({ kernel: artifacts.kernel, initrd: artifacts.floorInitrd, marker: FLOOR_MARKER });
});

afterAll(async () => {
  await killAllVms();
});

describe('QemuVm boots', () => {
  it(`${CONSECUTIVE_BOOTS} floor VMs in a row, each to its console marker and a clean power-off`, async () => {
    const times: number[] = [];
    for (let i = 0; i < CONSECUTIVE_BOOTS; i++) {
      const started = Date.now();
      const vm = await QemuVm.start({ name: `floor-${i}`, kernel: artifacts.kernel, initrd: artifacts.floorInitrd, accel });
      try {
        await vm.waitForConsole(FLOOR_MARKER, BOOT_TIMEOUT_MS);
        times.push(Date.now() - started);
        const exit = await vm.waitForExit(BOOT_TIMEOUT_MS);
        expect(exit, `boot ${i}`).toMatchObject({ code: 0, signal: null });
      } finally {
        await vm.stop();
      }
    }
    console.log(`floor boots (${accel}): ${describeTimes(times)}`);
    expect(times).toHaveLength(CONSECUTIVE_BOOTS);
  }, CONSECUTIVE_BOOTS * 2 * BOOT_TIMEOUT_MS);

  it('Node as PID 1 from the bootstrap ISO, with the vic.tether port and disks found by serial', async () => {
    const media = await extractBootMedia(artifacts.iso);
    const diskDir = mkdtempSync(join(tmpdir(), 'vic-vm-boot-test-'));
    try {
      const disk = join(diskDir, 'layer.img');
      writeFileSync(disk, '');
      truncateSync(disk, 1 << 20);
      const vm = await QemuVm.start({
        name: 'stand-in',
        ...media,
        append: 'vic.standin=probe',
        disks: [{ path: disk, readOnly: true, serial: 'vic-layer-0' }],
        accel,
      });
      try {
        const fromGuest = readLine(vm.channelPath, NODE_BOOT_TIMEOUT_MS);
        const console = await vm.waitForConsole(STAND_IN_MARKER, NODE_BOOT_TIMEOUT_MS);
        expect(console).toMatch(/tether-up pid=1 /);
        expect(await fromGuest).toMatch(/^stand-in on vport\d+p\d+: disks vda=vic-layer-0$/);
        expect(await vm.waitForExit(NODE_BOOT_TIMEOUT_MS)).toMatchObject({ code: 0 });
      } finally {
        await vm.stop();
      }
    } finally {
      rmSync(diskDir, { recursive: true, force: true });
    }
  }, 3 * NODE_BOOT_TIMEOUT_MS);
});

describe('QemuVm cleans up', () => {
  async function startRunningVm(name: string, workDir?: string): Promise<QemuVm> {
    const vm = await QemuVm.start({ name, kernel: artifacts.kernel, initrd: artifacts.floorInitrd, accel, ...(workDir ? { workDir } : {}) });
    // Paused, the guest cannot power off by itself before the test ends it.
    await vm.pause();
    return vm;
  }

  for (const how of ['stop', 'kill'] as const) {
    it(`leaves no process, socket, log or folder behind after ${how}()`, async () => {
      const vm = await startRunningVm(`cleanup-${how}`);
      const { pid, workDir, channelPath, consoleLogPath } = vm;
      expect(processExists(pid)).toBe(true);
      expect([workDir, channelPath, consoleLogPath].every((p) => existsSync(p))).toBe(true);

      const exit = await vm[how]();

      expect(exit).toEqual(how === 'stop' ? { code: 0, signal: null, shutdownReason: 'host-qmp-quit' } : { code: null, signal: 'SIGKILL', shutdownReason: null });
      expect(processExists(pid)).toBe(false);
      expect(existsSync(workDir)).toBe(false);
      expect(liveVms()).not.toContain(vm);
      expect(await vm.stop()).toEqual(exit);
    });
  }

  it('removes only its own files from a work folder it was given', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'vic-vm-boot-test-'));
    try {
      writeFileSync(join(workDir, 'keep-me'), 'not the VM’s');
      const vm = await startRunningVm('given-dir', workDir);
      expect(vm.channelPath.startsWith(workDir)).toBe(true);
      await vm.stop();
      expect(existsSync(join(workDir, 'keep-me'))).toBe(true);
      expect(existsSync(vm.channelPath)).toBe(false);
      expect(existsSync(vm.consoleLogPath)).toBe(false);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  it('keeps the console log of a guest that powered itself off until stop()', async () => {
    const vm = await QemuVm.start({ name: 'self-off', kernel: artifacts.kernel, initrd: artifacts.floorInitrd, accel });
    const exit = await vm.waitForExit(BOOT_TIMEOUT_MS);
    expect(exit).toEqual({ code: 0, signal: null, shutdownReason: 'guest-shutdown' });
    expect(await vm.readConsole()).toContain(FLOOR_MARKER);
    await vm.stop();
    expect(existsSync(vm.workDir)).toBe(false);
  });
});

describe('extractBootMedia', () => {
  it("gives the ISO's own kernel and initrd, extracted once per ISO content", async () => {
    const cache = mkdtempSync(join(tmpdir(), 'vic-vm-boot-test-'));
    try {
      const first = await extractBootMedia(artifacts.iso, cache);
      expect(readFileSync(first.kernel).equals(readFileSync(artifacts.kernel))).toBe(true);
      const extractedAt = statSync(first.initrd).ctimeMs;
      const second = await extractBootMedia(artifacts.iso, cache);
      expect(second).toEqual(first);
      expect(statSync(second.initrd).ctimeMs).toBe(extractedAt);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe('QemuVm.start', () => {
  it('refuses a disk serial the guest could not read back whole', async () => {
    const before = liveVms().length;
    await expect(
      QemuVm.start({ name: 'bad-serial', kernel: artifacts.kernel, initrd: artifacts.floorInitrd, accel, disks: [{ path: artifacts.floorInitrd, readOnly: true, serial: 'a-serial-longer-than-twenty' }] }),
    ).rejects.toThrow(/serial .* must be 1-20 characters/);
    expect(liveVms()).toHaveLength(before);
  });

  it("reports QEMU's own words when QEMU cannot start, and leaves nothing behind", async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'vic-vm-boot-test-'));
    try {
      const notADisk = join(workDir, 'a-folder');
      mkdirSync(notADisk);
      await expect(
        QemuVm.start({ name: 'bad-disk', kernel: artifacts.kernel, initrd: artifacts.floorInitrd, accel, workDir, disks: [{ path: notADisk, readOnly: true, serial: 'x', format: 'qcow2' }] }),
      ).rejects.toThrow(/bad-disk: qemu exited \(code 1\) before it was ready: .*a-folder/);
      expect(existsSync(join(workDir, 'qmp.sock'))).toBe(false);
      expect(existsSync(join(workDir, 'console.log'))).toBe(false);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});

describe('VMs never outlive the process that started them', () => {
  /** Starts a paused VM in a separate Node process, which then does `ending` to itself. */
  async function vmOfAChildProcess(ending: 'process.exit(0)' | "process.kill(process.pid, 'SIGKILL')"): Promise<{ pid: number; workDir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'vic-vm-boot-test-'));
    try {
      const script = join(dir, 'child.mts');
      const index = fileURLToPath(new URL('../apps/endpoint/src/portlayer/qemu/index.ts', import.meta.url));
      writeFileSync(script, [
        `import { QemuVm } from ${JSON.stringify(index)};`,
        `const vm = await QemuVm.start({ name: 'orphan', kernel: process.argv[2], initrd: process.argv[3], accel: ${JSON.stringify(accel)} });`,
        `await vm.pause();`,
        `process.stdout.write(JSON.stringify({ pid: vm.pid, workDir: vm.workDir }), () => ${ending});`,
      ].join('\n'));
      // The child ends itself on purpose, so its exit status says nothing; what it printed does.
      const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
        execFile('node', ['--import', 'tsx', script, artifacts.kernel, artifacts.floorInitrd], { timeout: 60_000 }, (_err, stdout, stderr) => resolve({ stdout, stderr }));
      });
      if (!stdout.startsWith('{')) throw new Error(`the child process did not start its VM: ${stderr}`);
      return JSON.parse(stdout) as { pid: number; workDir: string };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async function gone(pid: number, timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (processExists(pid) && Date.now() < deadline) await sleep(20);
    return !processExists(pid);
  }

  it('kills them and removes their files when that process exits', async () => {
    const { pid, workDir } = await vmOfAChildProcess('process.exit(0)');
    expect(await gone(pid)).toBe(true);
    expect(existsSync(workDir)).toBe(false);
  });

  it('kills them when that process is SIGKILLed (its files stay: nothing runs after SIGKILL)', async () => {
    const { pid, workDir } = await vmOfAChildProcess("process.kill(process.pid, 'SIGKILL')");
    try {
      expect(await gone(pid)).toBe(true);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});

describe('the KVM probe', () => {
  it('answers within its bound, whatever this host offers', async () => {
    const started = Date.now();
    const works = await probeKvm({ kernel: artifacts.kernel, initrd: artifacts.floorInitrd, marker: FLOOR_MARKER });
    expect(typeof works).toBe('boolean');
    expect(Date.now() - started).toBeLessThan(KVM_PROBE_TIMEOUT_MS + 5_000);
  }, KVM_PROBE_TIMEOUT_MS + 30_000);
});

/** Connects to a VM's channel socket and resolves with the first line the guest writes. */
function readLine(socketPath: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no line on ${socketPath} within ${timeoutMs} ms (read ${JSON.stringify(text)})`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text.slice(0, newline));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
