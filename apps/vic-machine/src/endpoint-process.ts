import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { VicMachineError } from './errors';
import { commandLine, terminate } from './processes';
import type { VchConfig } from './vch-config';
import type { VchLayout } from './vch-layout';

/** Built by apps/endpoint/build.sh; the same relative path from src/ and from dist/. */
export const ENDPOINT_BUNDLE = fileURLToPath(new URL('../../endpoint/dist/endpoint.mjs', import.meta.url));
/** The line apps/endpoint/src/main.ts prints once it listens, followed by its DOCKER_HOST. */
const LISTENING = /^vic endpoint listening on tcp:\/\/\S+:(\d+)$/m;
const POLL_MS = 100;
/** The endpoint gives server.close() 10 s before it exits regardless; this leaves it time to finish. */
const STOP_GRACE_MS = 15_000;
const KILL_WAIT_MS = 5_000;
const LOG_TAIL_LINES = 20;
const LOG_TAIL_BYTES = 16 * 1024;
/** The listening line comes first on stdout; only stderr noise could precede it. */
const LOG_HEAD_BYTES = 64 * 1024;

/** The endpoint's pid if it is running: the pid file names a live process that serves this VCH's state. */
export function runningEndpointPid(layout: VchLayout): number | null {
  if (!existsSync(layout.pid)) return null;
  const pid = Number(readFileSync(layout.pid, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  // A recycled pid belongs to some other process: only ours has this VCH's state dir in its arguments.
  return commandLine(pid)?.includes(layout.state) ? pid : null;
}

/**
 * Starts the endpoint detached (its own process group, so it outlives vic-machine and a terminal's
 * ^C does not reach it), output appended to the VCH's endpoint.log, and waits for its listening
 * line. Returns its pid and the port it serves on (the one it picked, for port 0).
 */
export async function launchEndpoint(layout: VchLayout, config: VchConfig, timeoutMs: number): Promise<{ pid: number; port: number }> {
  if (!existsSync(ENDPOINT_BUNDLE)) throw new VicMachineError(`the endpoint is not built (${ENDPOINT_BUNDLE} is missing); run npx turbo run build`);
  const logStart = existsSync(layout.log) ? statSync(layout.log).size : 0;
  const log = openSync(layout.log, 'a', 0o600);
  const args = [
    ENDPOINT_BUNDLE,
    '--name', config.name,
    '--state-dir', layout.state,
    '--iso', layout.iso,
    '--host', config.host,
    '--port', String(config.port),
    ...(config.tls ? ['--tls-dir', layout.serverTls, ...(config.noTlsVerify ? ['--no-tlsverify'] : [])] : []),
    ...config.insecureRegistries.flatMap((registry) => ['--insecure-registry', registry]),
    ...Object.entries(config.volumeStores ?? {}).flatMap(([label, dir]) => ['--volume-store', `${label}=${dir}`]),
    ...(config.logLevel === 'debug' ? ['--log-level', 'debug'] : []),
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], cwd: layout.dir });
  closeSync(log);
  let exited: string | null = null;
  child.on('exit', (code, signal) => {
    exited = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  });
  child.on('error', (error) => {
    exited = `could not run (${error.message})`;
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new VicMachineError(`cannot start the endpoint: spawning ${process.execPath} failed`);
  writeFileSync(layout.pid, `${pid}\n`);

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const listening = LISTENING.exec(readLog(layout, logStart, LOG_HEAD_BYTES));
    if (listening) return { pid, port: Number(listening[1]) };
    if (exited) throw new VicMachineError(`the endpoint ${exited} before it listened\n${logTail(layout)}`);
    await sleep(POLL_MS);
  }
  throw new VicMachineError(`the endpoint did not listen within ${timeoutMs / 1000} s\n${logTail(layout)}`);
}

/**
 * Stops the endpoint: SIGTERM to its process group (it closes the server; container VMs, in
 * sessions of their own, keep running), a bounded wait, then SIGKILL. Nothing to do when it is
 * not running.
 */
export async function stopEndpoint(layout: VchLayout): Promise<void> {
  const pid = runningEndpointPid(layout);
  if (pid !== null) {
    const survivors = await terminate([-pid], [pid], STOP_GRACE_MS, KILL_WAIT_MS);
    if (survivors.length > 0) throw new VicMachineError(`VCH ${layout.name}: the endpoint (pid ${pid}) survived SIGKILL`);
  }
  rmSync(layout.pid, { force: true });
}

/** Up to `length` bytes of the endpoint's log from `start`. */
function readLog(layout: VchLayout, start: number, length: number): string {
  const bytes = Buffer.alloc(Math.max(0, Math.min(length, statSync(layout.log).size - start)));
  const fd = openSync(layout.log, 'r');
  try {
    readSync(fd, bytes, 0, bytes.length, start);
  } finally {
    closeSync(fd);
  }
  return bytes.toString('utf8');
}

/** The last lines of the endpoint's log, indented, for error messages. */
export function logTail(layout: VchLayout): string {
  if (!existsSync(layout.log)) return `(no endpoint log at ${layout.log})`;
  const size = statSync(layout.log).size;
  const lines = readLog(layout, Math.max(0, size - LOG_TAIL_BYTES), LOG_TAIL_BYTES).trimEnd().split('\n').slice(-LOG_TAIL_LINES);
  return [`last lines of ${layout.log}:`, ...lines.map((line) => `  ${line}`)].join('\n');
}
