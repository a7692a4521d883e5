/**
 * The foundation's figures: two ratios, each against a floor measured in the same run on the
 * same machine, so a slow or busy host moves both sides alike.
 *   1. container VM boot-to-first-output ÷ bare-boot floor (same QEMU and kernel, a busybox init
 *      that powers off at once);
 *   2. container stdout throughput through the tether ÷ raw virtio-serial throughput (dd to the
 *      port, no Node, no protocol).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, copyFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractBootMedia, QemuVm } from '../apps/endpoint/src/portlayer/qemu/index';
import { bootBusyboxContainer } from '../test/support/container-vm';
import { ensureBootstrapIso, FLOOR_MARKER } from '../test/support/bootstrap-iso';
import { median, mib, timeSocketBytes } from './measure';

const THROUGHPUT_BYTES = 128 * 1024 * 1024;

export async function floorBootSeconds(kernel: string, floorInitrd: string): Promise<number> {
  const started = performance.now();
  const vm = await QemuVm.start({ name: 'bench-floor', kernel, initrd: floorInitrd });
  try {
    await vm.waitForConsole(FLOOR_MARKER, 60_000);
    return (performance.now() - started) / 1000;
  } finally {
    await vm.stop();
  }
}

async function containerFirstOutputSeconds(): Promise<number> {
  const started = performance.now();
  const container = await bootBusyboxContainer('bench-boot');
  try {
    const main = await container.client.startSession({ id: 'main', argv: ['echo', 'up'], env: [], openStdin: false, holdUntilAttached: false });
    await new Promise((resolve) => main.stdout.once('data', resolve));
    return (performance.now() - started) / 1000;
  } finally {
    await container.cleanup();
  }
}

/** The bootstrap initramfs with bench/raw-channel-init.sh appended as /bench-init. */
export function rawChannelInitrd(initrd: string, work: string): string {
  const root = join(work, 'raw-root');
  mkdirSync(root, { recursive: true });
  copyFileSync(new URL('./raw-channel-init.sh', import.meta.url), join(root, 'bench-init'));
  chmodSync(join(root, 'bench-init'), 0o755);
  const extra = execFileSync('sh', ['-c', 'echo bench-init | cpio -o -H newc --quiet'], { cwd: root });
  const out = join(work, 'raw-initrd.img');
  writeFileSync(out, Buffer.concat([readFileSync(initrd), extra]));
  return out;
}

/** Seconds from the first to the last of `bytes` zero bytes dd writes to the raw port; `initrd` from rawChannelInitrd. */
export async function rawChannelSeconds(kernel: string, initrd: string, bytes: number): Promise<number> {
  const vm = await QemuVm.start({ name: 'bench-raw', kernel, initrd, append: `rdinit=/bench-init VIC_BENCH_BYTES=${bytes}` });
  try {
    return await timeSocketBytes(vm.channelPath, bytes, 300_000);
  } finally {
    await vm.stop();
  }
}

async function tetherStdoutSeconds(): Promise<number> {
  const container = await bootBusyboxContainer('bench-throughput');
  try {
    const main = await container.client.startSession({
      id: 'main',
      argv: ['dd', 'if=/dev/zero', 'bs=65536', `count=${THROUGHPUT_BYTES / 65536}`],
      env: [],
      openStdin: false,
      holdUntilAttached: false,
    });
    let first = 0;
    let got = 0;
    for await (const chunk of main.stdout) {
      if (got === 0) first = performance.now();
      got += (chunk as Buffer).length;
    }
    if (got !== THROUGHPUT_BYTES) throw new Error(`tether delivered ${got} of ${THROUGHPUT_BYTES} bytes`);
    return (performance.now() - first) / 1000;
  } finally {
    await container.cleanup();
  }
}

export async function runFoundationBench(runs: number): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'vic-bench-'));
  try {
    const { iso, kernel, floorInitrd } = await ensureBootstrapIso();
    const media = await extractBootMedia(iso);
    const floor: number[] = [];
    const container: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved so that drift in host load hits both sides.
      floor.push(await floorBootSeconds(kernel, floorInitrd));
      container.push(await containerFirstOutputSeconds());
    }
    const raw: number[] = [];
    const tether: number[] = [];
    const rawInitrd = rawChannelInitrd(media.initrd, work);
    for (let i = 0; i < Math.min(runs, 3); i++) {
      raw.push(await rawChannelSeconds(media.kernel, rawInitrd, THROUGHPUT_BYTES));
      tether.push(await tetherStdoutSeconds());
    }
    const f = median(floor);
    const c = median(container);
    const r = THROUGHPUT_BYTES / median(raw);
    const t = THROUGHPUT_BYTES / median(tether);
    console.log(`boot to first output: container ${c.toFixed(2)} s, bare-boot floor ${f.toFixed(2)} s (medians of ${runs}) -> ratio ${(c / f).toFixed(2)}`);
    console.log(`stdout throughput:    tether ${mib(THROUGHPUT_BYTES, median(tether))}, raw virtio-serial ${mib(THROUGHPUT_BYTES, median(raw))} (medians of ${raw.length}) -> ratio ${(t / r).toFixed(2)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
