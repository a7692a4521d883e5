/**
 * The Docker API endpoint's figures, each against a floor measured in the same run on the same
 * machine, all through the real docker CLI against an in-process endpoint (plain HTTP, loopback):
 *   a. `docker run --rm busybox true` ÷ the bare-boot floor (foundation's busybox init that powers off);
 *   b. `docker exec c true` through the CLI ÷ the same exec through the API without the CLI;
 *   c. `docker ps -a` listing 100 containers ÷ `docker version` (the CLI's own start-up and one request);
 *   d. container stdout through `docker run` ÷ raw virtio-serial (foundation's dd to the port);
 *   e. host RSS of an idle container VM's QEMU process ÷ the guest memory it was given.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { API_VERSION } from '../apps/endpoint/src/api/api-version';
import { extractBootMedia } from '../apps/endpoint/src/portlayer/qemu/index';
import { ensureBootstrapIso } from '../test/support/bootstrap-iso';
import { dockerCli, type DockerResult } from '../test/support/docker-cli';
import { startTestEndpoint, type TestEndpoint } from '../test/support/endpoint';
import { floorBootSeconds, rawChannelInitrd, rawChannelSeconds } from './foundation';
import { median, mib, percentile } from './measure';

const EXEC_SAMPLES = 30;
const LISTED_CONTAINERS = 100;
/** `docker create` runs at most this many CLIs at once: two cores, and each CLI is a Go process. */
const CREATE_BATCH = 5;
const CLI_SAMPLES = 20;
const STDOUT_BYTES = 64 * 1024 * 1024;
const IDLE_VMS = 3;
/** Lets each VM's boot and the tether's start-up settle before its RSS is read. */
const IDLE_SETTLE_MS = 3_000;
const REQUEST_TIMEOUT_MS = 60_000;
const STDOUT_TIMEOUT_MS = 300_000;
const CLOSE_TIMEOUT_MS = 60_000;

/** The docker CLI pointed at one endpoint, with a config dir of its own. */
class BenchDocker {
  constructor(
    readonly dockerHost: string,
    readonly configDir: string,
  ) {}

  run(args: string[]): Promise<DockerResult> {
    return dockerCli(this.dockerHost, this.configDir, args);
  }

  async ok(args: string[]): Promise<string> {
    const result = await this.run(args);
    if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** Seconds `docker args` takes, failing the bench if it fails. */
  async seconds(args: string[]): Promise<number> {
    const started = performance.now();
    await this.ok(args);
    return (performance.now() - started) / 1000;
  }

  /** Removes containers, whatever state they are in. */
  async remove(names: string[]): Promise<void> {
    if (names.length > 0) await this.ok(['rm', '-f', ...names]);
  }
}

interface Row {
  what: string;
  vic: string;
  floor: string;
  ratio: number;
  /** Why this figure could not be measured. */
  failure?: string;
}

const seconds = (s: number) => `${s.toFixed(2)} s`;
const millis = (s: number) => `${(s * 1000).toFixed(0)} ms`;

async function runVersusBoot(docker: BenchDocker, runs: number): Promise<Row> {
  const { kernel, floorInitrd } = await ensureBootstrapIso();
  const floor: number[] = [];
  const run: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Interleaved so that drift in host load hits both sides.
    floor.push(await floorBootSeconds(kernel, floorInitrd));
    run.push(await docker.seconds(['run', '--rm', 'busybox', 'true']));
  }
  return { what: `a. docker run --rm busybox true ÷ bare boot (medians of ${runs})`, vic: seconds(median(run)), floor: seconds(median(floor)), ratio: median(run) / median(floor) };
}

async function apiRequest(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return response;
}

/** One exec as the CLI makes it (create, start with its stream read to the end, inspect for the exit code), over plain fetch. */
async function apiExecSeconds(base: string, container: string): Promise<number> {
  const started = performance.now();
  const json = { method: 'POST', headers: { 'content-type': 'application/json' } };
  const created = await apiRequest(`${base}/containers/${container}/exec`, { ...json, body: JSON.stringify({ Cmd: ['true'], AttachStdout: true, AttachStderr: true }) });
  const { Id: id } = (await created.json()) as { Id: string };
  await (await apiRequest(`${base}/exec/${id}/start`, { ...json, body: JSON.stringify({ Detach: false, Tty: false }) })).arrayBuffer();
  const inspected = (await (await apiRequest(`${base}/exec/${id}/json`)).json()) as { ExitCode: number | null };
  if (inspected.ExitCode !== 0) throw new Error(`exec ${id} (true) in ${container}: exit code ${inspected.ExitCode}, expected 0`);
  return (performance.now() - started) / 1000;
}

async function execRoundTrip(docker: BenchDocker): Promise<Row> {
  const name = 'bench-exec';
  await docker.ok(['run', '-d', '--name', name, 'busybox', 'sleep', '1000']);
  try {
    const base = `${docker.dockerHost.replace(/^tcp:/, 'http:')}/v${API_VERSION}`;
    const cli: number[] = [];
    const api: number[] = [];
    let cliFailure: string | undefined;
    for (let i = 0; i < EXEC_SAMPLES; i++) {
      // A CLI exec the endpoint refuses is reported in the table rather than ending the whole run.
      if (cliFailure === undefined) {
        const started = performance.now();
        const result = await docker.run(['exec', name, 'true']);
        if (result.code === 0) cli.push((performance.now() - started) / 1000);
        else cliFailure = `docker exec ${name} true exited ${result.code}: ${result.stderr.trim()}`;
      }
      api.push(await apiExecSeconds(base, name));
    }
    const spread = (values: number[]) => `${millis(percentile(values, 50))} / ${millis(percentile(values, 95))}`;
    const what = `b. docker exec c true ÷ API exec, p50 / p95 of ${EXEC_SAMPLES}`;
    if (cliFailure !== undefined) return { what, vic: 'failed', floor: spread(api), ratio: NaN, failure: cliFailure };
    return { what, vic: spread(cli), floor: spread(api), ratio: percentile(cli, 50) / percentile(api, 50) };
  } finally {
    await docker.remove([name]);
  }
}

async function createContainers(docker: BenchDocker, names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += CREATE_BATCH) {
    await Promise.all(names.slice(i, i + CREATE_BATCH).map((name) => docker.ok(['create', '--name', name, 'busybox', 'true'])));
  }
}

async function listVersusVersion(docker: BenchDocker): Promise<Row> {
  const names = Array.from({ length: LISTED_CONTAINERS }, (_, i) => `bench-ps-${i}`);
  try {
    await createContainers(docker, names);
    const listed = (await docker.ok(['ps', '-aq'])).trim().split('\n').length;
    if (listed < LISTED_CONTAINERS) throw new Error(`docker ps -a lists ${listed} containers after creating ${LISTED_CONTAINERS}`);
    const ps: number[] = [];
    const version: number[] = [];
    for (let i = 0; i < CLI_SAMPLES; i++) {
      ps.push(await docker.seconds(['ps', '-a']));
      version.push(await docker.seconds(['version']));
    }
    return { what: `c. docker ps -a (${listed} containers) ÷ docker version, p50 of ${CLI_SAMPLES}`, vic: millis(median(ps)), floor: millis(median(version)), ratio: median(ps) / median(version) };
  } finally {
    await docker.remove(names);
  }
}

/** Seconds from the first to the last byte of `docker run --rm busybox head -c <bytes>`'s stdout, all bytes counted. */
function dockerStdoutSeconds(docker: BenchDocker, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = ['run', '--rm', 'busybox', 'head', '-c', String(bytes), '/dev/zero'];
    const child = spawn('docker', args, { env: { ...process.env, DOCKER_HOST: docker.dockerHost, DOCKER_CONFIG: docker.configDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), STDOUT_TIMEOUT_MS);
    let first = 0;
    let last = 0;
    let got = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (got === 0) first = performance.now();
      got += chunk.length;
      last = performance.now();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 || got !== bytes) {
        const how = signal ? `was killed (${signal}) after ${STDOUT_TIMEOUT_MS} ms` : `exited ${code}`;
        return reject(new Error(`docker ${args.join(' ')} ${how} with ${got} of ${bytes} bytes on stdout: ${stderr.trim()}`));
      }
      resolve((last - first) / 1000);
    });
  });
}

async function stdoutVersusRaw(docker: BenchDocker, runs: number, work: string): Promise<Row> {
  const media = await extractBootMedia((await ensureBootstrapIso()).iso);
  const rawInitrd = rawChannelInitrd(media.initrd, work);
  const raw: number[] = [];
  const run: number[] = [];
  for (let i = 0; i < runs; i++) {
    raw.push(await rawChannelSeconds(media.kernel, rawInitrd, STDOUT_BYTES));
    run.push(await dockerStdoutSeconds(docker, STDOUT_BYTES));
  }
  const what = `d. docker run stdout ÷ raw virtio-serial (${STDOUT_BYTES / 1048576} MiB, medians of ${runs})`;
  return { what, vic: mib(STDOUT_BYTES, median(run)), floor: mib(STDOUT_BYTES, median(raw)), ratio: median(raw) / median(run) };
}

function cmdlineOf(pid: string): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch (error) {
    // A process that exited while /proc was being listed cannot be a running container's VM.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw error;
  }
}

/** The QEMU process whose `-name` is the container's id (QemuPortLayer names each VM after its container). */
function findContainerQemu(containerId: string): { pid: string; args: string[] } {
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    const args = cmdlineOf(pid);
    if (args && args[0]?.includes('qemu') && args[args.indexOf('-name') + 1] === containerId) return { pid, args };
  }
  throw new Error(`no QEMU process with -name ${containerId} in /proc/*/cmdline; is container ${containerId.slice(0, 12)} running?`);
}

function rssMiB(pid: string): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(line[1]) / 1024;
}

function guestMemoryMiB(args: string[]): number {
  const memory = Number(args[args.indexOf('-m') + 1]);
  if (!Number.isFinite(memory) || memory <= 0) throw new Error(`QEMU command line has no -m <MiB>: ${args.join(' ')}`);
  return memory;
}

async function idleVmMemory(docker: BenchDocker): Promise<Row> {
  const names = Array.from({ length: IDLE_VMS }, (_, i) => `bench-idle-${i}`);
  try {
    const ids: string[] = [];
    for (const name of names) ids.push((await docker.ok(['run', '-d', '--name', name, 'busybox', 'sleep', '1000'])).trim());
    await sleep(IDLE_SETTLE_MS);
    const vms = ids.map(findContainerQemu);
    const rss = vms.map((vm) => rssMiB(vm.pid));
    const guest = median(vms.map((vm) => guestMemoryMiB(vm.args)));
    const each = rss.map((r) => r.toFixed(0)).join(', ');
    return { what: `e. idle VM's QEMU RSS ÷ guest memory (median of ${IDLE_VMS}: ${each} MiB)`, vic: `${median(rss).toFixed(0)} MiB`, floor: `${guest} MiB`, ratio: median(rss) / guest };
  } finally {
    await docker.remove(names);
  }
}

function printTable(rows: Row[]): void {
  const header: Row = { what: 'endpoint', vic: 'vic', floor: 'floor', ratio: NaN };
  const width = (pick: (row: Row) => string) => Math.max(...[header, ...rows].map((row) => pick(row).length));
  const [what, vic, floor] = [width((r) => r.what), width((r) => r.vic), width((r) => r.floor)];
  const line = (row: Row, ratio: string) => `${row.what.padEnd(what)}  ${row.vic.padStart(vic)}  ${row.floor.padStart(floor)}  ${ratio}`;
  console.log(line(header, 'ratio'));
  for (const row of rows) console.log(line(row, row.failure === undefined ? row.ratio.toFixed(2) : '-'));
  for (const row of rows.filter((r) => r.failure !== undefined)) console.log(`${row.what.slice(0, 2)} failed: ${row.failure}`);
  if (rows.some((row) => row.failure !== undefined)) process.exitCode = 1;
}

/** Closes the endpoint, or says so if it hangs (the process's exit hook then kills its VMs). */
async function closeEndpoint(endpoint: TestEndpoint): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the endpoint did not close within ${CLOSE_TIMEOUT_MS} ms`)), CLOSE_TIMEOUT_MS);
  });
  try {
    await Promise.race([endpoint.close(), hung]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runEndpointBench(runs: number): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'vic-bench-endpoint-'));
  const endpoint = await startTestEndpoint(join(work, 'vch'));
  try {
    const docker = new BenchDocker(endpoint.dockerHost, join(work, 'docker-config'));
    const archive = join(work, 'busybox.tar');
    await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', archive);
    await docker.ok(['load', '-q', '-i', archive]);
    const rows: Row[] = [];
    rows.push(await runVersusBoot(docker, runs));
    rows.push(await execRoundTrip(docker));
    rows.push(await listVersusVersion(docker));
    rows.push(await stdoutVersusRaw(docker, Math.min(runs, 3), work));
    rows.push(await idleVmMemory(docker));
    printTable(rows);
  } finally {
    try {
      await closeEndpoint(endpoint);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}
