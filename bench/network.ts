/**
 * Network figures, each against the same path without vic measured in the same run: two bare VMs
 * (same kernel, same NICs: a loopback multicast segment and a slirp NIC with a host port forward)
 * running busybox only (bench/raw-network-init.sh), against two containers on a user-defined
 * network through the real docker CLI.
 *   a. TCP throughput container → container (HTTP GET of 32 MiB from a busybox httpd, timed in the client);
 *   b. TCP throughput host → published port (the same file fetched by the host);
 *   c. first-byte latency of a published port (GET of a small file, p50 of 20).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { extractBootMedia, QemuVm } from '../apps/endpoint/src/portlayer/qemu/index';
import { ensureBootstrapIso } from '../test/support/bootstrap-iso';
import { dockerCli } from '../test/support/docker-cli';
import { startTestEndpoint } from '../test/support/endpoint';
import { freePort } from '../test/support/registry/free-port';
import { median, mib } from './measure';

const BLOCKS = 512; // × 64 KiB = 32 MiB
const BYTES = BLOCKS * 65536;
const LATENCY_SAMPLES = 20;
const BOOT_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 120_000;
/** The raw VMs' segment: a group of its own, so it never meets a VCH's networks. */
const RAW_SEGMENT = { group: '239.255.254.253', port: 47_001 };

interface Row {
  what: string;
  vic: string;
  floor: string;
  ratio: number;
}

/** The same client script in a container and in a raw VM: wait for the server, then time one GET of /big. */
const CLIENT_SCRIPT = (peer: string) =>
  `until wget -q -O /dev/null http://${peer}/small 2>/dev/null; do sleep 0.2; done; s=$(cut -d' ' -f1 /proc/uptime); wget -q -O /dev/null http://${peer}/big; e=$(cut -d' ' -f1 /proc/uptime); echo "NET-RESULT $s $e"`;

function resultSeconds(text: string): number {
  const match = /NET-RESULT ([\d.]+) ([\d.]+)/.exec(text);
  if (!match) throw new Error(`no NET-RESULT line in: ${text.slice(-500)}`);
  return Number(match[2]) - Number(match[1]);
}


/** GETs `url`; resolves the seconds to its first byte and to its last, bounded by a timeout. */
function timedGet(url: string): Promise<{ firstByte: number; total: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = get(url, { timeout: REQUEST_TIMEOUT_MS }, (response) => {
      let firstByte = 0;
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        if (bytes === 0) firstByte = (performance.now() - started) / 1000;
        bytes += chunk.length;
      });
      response.on('end', () => (response.statusCode === 200 ? resolve({ firstByte, total: (performance.now() - started) / 1000, bytes }) : reject(new Error(`${url}: HTTP ${response.statusCode}`))));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${url}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    request.on('error', reject);
  });
}

async function waitUntilServing(url: string): Promise<void> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  for (;;) {
    try {
      await timedGet(url);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${BOOT_TIMEOUT_MS} ms: ${(error as Error).message}`);
      await sleep(300);
    }
  }
}

/** Published-port throughput and first-byte latency against a server reachable at `base`. */
async function hostPath(base: string, runs: number): Promise<{ seconds: number; firstByte: number }> {
  await waitUntilServing(`${base}/small`);
  const totals: number[] = [];
  for (let i = 0; i < runs; i++) {
    const got = await timedGet(`${base}/big`);
    if (got.bytes !== BYTES) throw new Error(`${base}/big gave ${got.bytes} of ${BYTES} bytes`);
    totals.push(got.total);
  }
  const firstBytes: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) firstBytes.push((await timedGet(`${base}/small`)).firstByte);
  return { seconds: median(totals), firstByte: median(firstBytes) };
}

/** The bootstrap initramfs with bench/raw-network-init.sh appended as /bench-net-init. */
function rawNetworkInitrd(initrd: string, work: string): string {
  const root = join(work, 'raw-net-root');
  mkdirSync(root, { recursive: true });
  copyFileSync(new URL('./raw-network-init.sh', import.meta.url), join(root, 'bench-net-init'));
  chmodSync(join(root, 'bench-net-init'), 0o755);
  const extra = execFileSync('sh', ['-c', 'echo bench-net-init | cpio -o -H newc --quiet'], { cwd: root });
  const out = join(work, 'raw-net-initrd.img');
  writeFileSync(out, Buffer.concat([readFileSync(initrd), extra]));
  return out;
}

async function rawFigures(runs: number, work: string): Promise<{ c2c: number; host: { seconds: number; firstByte: number } }> {
  const { iso } = await ensureBootstrapIso();
  const media = await extractBootMedia(iso);
  const initrd = rawNetworkInitrd(media.initrd, work);
  const hostPort = await freePort();
  const server = await QemuVm.start({
    name: 'bench-net-server',
    kernel: media.kernel,
    initrd,
    append: `rdinit=/bench-net-init NET_ROLE=server NET_IP=10.99.0.2 NET_BLOCKS=${BLOCKS}`,
    nics: [
      { kind: 'multicast', mac: '52:54:00:99:00:02', ...RAW_SEGMENT },
      { kind: 'user', mac: '52:54:00:12:34:56', forwards: [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort, guestPort: 80 }] },
    ],
  });
  try {
    await server.waitForConsole('NET-SERVING', BOOT_TIMEOUT_MS);
    const host = await hostPath(`http://127.0.0.1:${hostPort}`, runs);
    const c2c: number[] = [];
    for (let i = 0; i < runs; i++) {
      const client = await QemuVm.start({
        name: 'bench-net-client',
        kernel: media.kernel,
        initrd,
        append: `rdinit=/bench-net-init NET_ROLE=client NET_IP=10.99.0.3 NET_PEER=10.99.0.2`,
        nics: [{ kind: 'multicast', mac: '52:54:00:99:00:03', ...RAW_SEGMENT }],
      });
      try {
        c2c.push(resultSeconds(await client.waitForConsole(/NET-RESULT [\d.]+ [\d.]+/, BOOT_TIMEOUT_MS)));
      } finally {
        await client.stop();
      }
    }
    return { c2c: median(c2c), host };
  } finally {
    await server.stop();
  }
}

async function vicFigures(runs: number, work: string): Promise<{ c2c: number; host: { seconds: number; firstByte: number } }> {
  const endpoint = await startTestEndpoint(join(work, 'vch'));
  const configDir = join(work, 'docker-config');
  const ok = async (...args: string[]) => {
    const result = await dockerCli(endpoint.dockerHost, configDir, args);
    if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
    return result.stdout;
  };
  try {
    const archive = join(work, 'busybox.tar');
    await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', archive);
    await ok('load', '-q', '-i', archive);
    await ok('network', 'create', 'benchnet');
    const hostPort = await freePort();
    // /dev/shm: the file is in memory, as the raw server's is.
    const serve = `mkdir -p /dev/shm/www && dd if=/dev/zero of=/dev/shm/www/big bs=65536 count=${BLOCKS} 2>/dev/null && echo small > /dev/shm/www/small && exec httpd -f -p 80 -h /dev/shm/www`;
    await ok('run', '-d', '--name', 'srv', '--network', 'benchnet', '-p', `127.0.0.1:${hostPort}:80`, 'busybox', 'sh', '-c', serve);
    const host = await hostPath(`http://127.0.0.1:${hostPort}`, runs);
    const c2c: number[] = [];
    for (let i = 0; i < runs; i++) c2c.push(resultSeconds(await ok('run', '--rm', '--network', 'benchnet', 'busybox', 'sh', '-c', CLIENT_SCRIPT('srv'))));
    await ok('rm', '-f', 'srv');
    return { c2c: median(c2c), host };
  } finally {
    await endpoint.close();
  }
}

function printTable(rows: Row[]): void {
  const width = (pick: (row: Row) => string, title: string) => Math.max(title.length, ...rows.map((row) => pick(row).length));
  const [what, vic, floor] = [width((r) => r.what, 'network'), width((r) => r.vic, 'vic'), width((r) => r.floor, 'floor')];
  console.log(`${'network'.padEnd(what)}  ${'vic'.padStart(vic)}  ${'floor'.padStart(floor)}  ratio`);
  for (const row of rows) console.log(`${row.what.padEnd(what)}  ${row.vic.padStart(vic)}  ${row.floor.padStart(floor)}  ${row.ratio.toFixed(2)}`);
}

export async function runNetworkBench(runs: number): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'vic-bench-network-'));
  try {
    const raw = await rawFigures(runs, work);
    const vic = await vicFigures(runs, work);
    const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
    printTable([
      { what: `a. container → container TCP (32 MiB GET, median of ${runs}) ÷ two bare VMs`, vic: mib(BYTES, vic.c2c), floor: mib(BYTES, raw.c2c), ratio: raw.c2c / vic.c2c },
      { what: `b. host → published port TCP (32 MiB GET, median of ${runs}) ÷ bare VM hostfwd`, vic: mib(BYTES, vic.host.seconds), floor: mib(BYTES, raw.host.seconds), ratio: raw.host.seconds / vic.host.seconds },
      { what: `c. published port first byte (p50 of ${LATENCY_SAMPLES}) ÷ bare VM hostfwd`, vic: ms(vic.host.firstByte), floor: ms(raw.host.firstByte), ratio: vic.host.firstByte / raw.host.firstByte },
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
