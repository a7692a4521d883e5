import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBusyboxVch, type BusyboxVch } from './support/busybox-vch';

/*
 * Live restore: container VMs outlive their endpoint, and the next endpoint over the same state
 * takes them over (running, paused, with their execs), carrying the log on where it stopped.
 * Both endpoints run in this process; the VMs are real and are never restarted in between.
 */

let vch: BusyboxVch;
const ok = (...args: string[]) => vch.ok(...args);

/** The Engine API of the current endpoint, for what the docker CLI does not show (exec IDs). */
async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const base = vch.endpoint.dockerHost.replace(/^tcp:/, 'http:');
  const response = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return (text ? JSON.parse(text) : null) as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const counted = (log: string) => log.split('\n').filter(Boolean).map((line) => Number(line.replace('line ', '')));

beforeAll(async () => {
  vch = await startBusyboxVch('live-restore', { liveRestore: true });
}, 1_200_000);

afterAll(async () => {
  await vch?.close();
});

describe('an endpoint with live restore, restarted', () => {
  it('takes over running and paused containers and their execs: the log goes on without a gap or a repeat', async () => {
    await ok('run', '-d', '--name', 'counter', 'busybox', 'sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done');
    await ok('run', '-d', '--name', 'frozen', 'busybox', 'sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done');
    await until('its first lines', async () => ((await ok('logs', 'frozen')).length > 0 ? true : undefined));
    await ok('pause', 'frozen');
    await sleep(1_000); // a line printed just before the freeze may still be on its way
    const frozenLines = counted(await ok('logs', 'frozen')).length;
    const { Id: execId } = await api<{ Id: string }>('POST', '/containers/counter/exec', { Cmd: ['sh', '-c', 'sleep 4; exit 7'] });
    await api('POST', `/exec/${execId}/start`, { Detach: true });
    await until('a few lines', async () => ((await ok('logs', 'counter')).split('\n').length > 5 ? true : undefined));
    const startedAt = await ok('inspect', '-f', '{{.State.StartedAt}}', 'counter');

    await vch.restart();

    expect((await ok('ps', '--format', '{{.Names}} {{.Status}}')).trim().split('\n').sort()).toEqual([
      expect.stringMatching(/^counter Up /),
      expect.stringMatching(/^frozen Up .*\(Paused\)$/),
    ]);
    expect(await ok('inspect', '-f', '{{.State.StartedAt}}', 'counter')).toBe(startedAt);
    const exec = await until('the exec to end', async () => {
      const state = await api<{ Running: boolean; ExitCode: number | null }>('GET', `/exec/${execId}/json`);
      return state.Running ? undefined : state;
    });
    expect(exec.ExitCode).toBe(7);
    const before = counted(await ok('logs', 'counter')).length;
    await until('more lines', async () => (counted(await ok('logs', 'counter')).length > before + 5 ? true : undefined));
    // Paused through the restart: not a line more, until it is unpaused.
    expect(counted(await ok('logs', 'frozen')).length).toBe(frozenLines);
    await ok('unpause', 'frozen');
    expect(await ok('exec', 'frozen', 'echo', 'thawed')).toBe('thawed\n');
    await until('lines after the unpause', async () => (counted(await ok('logs', 'frozen')).length > frozenLines ? true : undefined));
    const frozenLog = counted(await ok('logs', 'frozen'));
    expect(frozenLog).toEqual(frozenLog.map((_, i) => i));

    await ok('stop', '-t', '1', 'counter');
    expect(await ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'counter')).toBe('exited 143\n');
    const lines = counted(await ok('logs', 'counter'));
    expect(lines).toEqual(lines.map((_, i) => i));
    await ok('rm', '-f', 'counter', 'frozen');
  });

  it('records the exit code and last output of a container that ended while no endpoint ran', async () => {
    await ok('run', '-d', '--name', 'brief', 'busybox', 'sh', '-c', 'sleep 2; echo goodbye; exit 3');
    await vch.endpoint.close();
    await sleep(4_000); // the process ends meanwhile; its VM waits for an endpoint to collect the exit
    await vch.restart({ closed: true });

    expect(await ok('wait', 'brief')).toBe('3\n');
    expect(await ok('logs', 'brief')).toBe('goodbye\n');
    await ok('rm', 'brief');
  });
});
