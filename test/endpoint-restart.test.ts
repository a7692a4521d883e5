import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBusyboxVch, type BusyboxVch } from './support/busybox-vch';

/* A VCH's state outlives its endpoint process: containers, names, exec records and logs are found again. */

let vch: BusyboxVch;
const docker = (...args: string[]) => vch.docker(...args);
const ok = (...args: string[]) => vch.ok(...args);

beforeAll(async () => {
  vch = await startBusyboxVch('endpoint-restart');
}, 1_200_000);

afterAll(async () => {
  await vch?.close();
});

describe('an endpoint restarted over the same state directory', () => {
  it('finds its containers, their names, states and logs, and runs them again', async () => {
    await ok('create', '--name', 'waiting', '--label', 'kept=yes', 'busybox', 'echo', 'later');
    expect((await docker('run', '--name', 'finished', 'busybox', 'sh', '-c', 'echo before the restart; exit 4')).code).toBe(4);
    await ok('run', '-d', '--name', 'running', 'busybox', 'sleep', '1000');
    // Closing the endpoint powers its container VMs off; the running one is recorded as ended.
    await vch.restart();

    const listed = (await ok('ps', '-a', '--format', '{{.Names}} {{.Status}}')).trim().split('\n').sort();
    expect(listed).toEqual([expect.stringMatching(/^finished Exited \(4\)/), expect.stringMatching(/^running Exited \(137\)/), 'waiting Created']);
    expect(await ok('inspect', '-f', '{{index .Config.Labels "kept"}}', 'waiting')).toBe('yes\n');
    expect(await ok('logs', 'finished')).toBe('before the restart\n');
    expect((await docker('create', '--name', 'finished', 'busybox', 'true')).stderr).toContain('The container name "/finished" is already in use');

    expect(await ok('start', '-a', 'waiting')).toBe('later\n');
    await ok('start', 'running');
    expect(await ok('exec', 'running', 'echo', 'back')).toBe('back\n');
    await ok('rm', '-f', 'running', 'waiting', 'finished');
    expect((await ok('ps', '-aq')).trim()).toBe('');
  });
});
