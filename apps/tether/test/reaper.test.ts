import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Reaper } from '../src/reaper';

const REPO_ROOT = resolve(__dirname, '../../..');
const TETHER_PID = 1;

function fakeProc(entries: { pid: number; state: string; ppid: number; comm?: string }[]): string {
  const root = mkdtempSync(join(tmpdir(), 'vic-proc-'));
  for (const { pid, state, ppid, comm = 'sleep' } of entries) {
    mkdirSync(join(root, String(pid)));
    writeFileSync(join(root, String(pid), 'stat'), `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100\n`);
  }
  mkdirSync(join(root, 'self'));
  return root;
}

describe('Reaper.scan', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it('waits only for zombies that are children of the tether and owned by nobody', () => {
    const procRoot = fakeProc([
      { pid: 10, state: 'Z', ppid: TETHER_PID }, // orphan: collect
      { pid: 11, state: 'Z', ppid: TETHER_PID }, // spawned by a session: its owner waits
      { pid: 12, state: 'S', ppid: TETHER_PID }, // still running
      { pid: 13, state: 'Z', ppid: 12 }, // someone else's child
      { pid: 14, state: 'S', ppid: TETHER_PID, comm: 'x) Z 1 (y' }, // a name that looks like fields
    ]);
    roots.push(procRoot);
    const waited: number[] = [];
    const reaper = new Reaper({ procRoot, parentPid: TETHER_PID, sys: { waitpid: (pid) => (waited.push(pid), { code: 0 }) } });
    reaper.own(11);
    expect(reaper.scan()).toBe(1);
    expect(waited).toEqual([10]);
    expect(reaper.reaped).toBe(1);
  });

  it('collects a pid again once its owner disowned it', () => {
    const procRoot = fakeProc([{ pid: 20, state: 'Z', ppid: TETHER_PID }]);
    roots.push(procRoot);
    const waited: number[] = [];
    const reaper = new Reaper({ procRoot, parentPid: TETHER_PID, sys: { waitpid: (pid) => (waited.push(pid), { code: 0 }) } });
    reaper.own(20);
    reaper.scan();
    reaper.disown(20);
    reaper.scan();
    expect(waited).toEqual([20]);
  });

  it('does not count a zombie that vanished before waitpid', () => {
    const procRoot = fakeProc([{ pid: 30, state: 'Z', ppid: TETHER_PID }]);
    roots.push(procRoot);
    const echild = Object.assign(new Error('waitpid 30: ECHILD (No child processes)'), { code: 'ECHILD' });
    const reaper = new Reaper({
      procRoot,
      parentPid: TETHER_PID,
      sys: {
        waitpid: () => {
          throw echild;
        },
      },
    });
    expect(reaper.scan()).toBe(0);
  });
});

describe('Reaper as a subreaper on the host', () => {
  it('reaps 50 orphans while child_process and node-pty still see their children exit codes', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'apps/tether/test/helpers/subreaper.ts'], {
      cwd: REPO_ROOT,
      timeout: 60_000,
    });
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toEqual({
      reaped: 50,
      zombiesLeft: 0,
      raced: { code: 9, signal: null },
      piped: { code: 42, signal: null },
      killed: { code: null, signal: 'SIGTERM' },
      terminal: { exitCode: 7, signal: 0 },
      orphanMaker: { code: 0, signal: null },
    });
  });
});
