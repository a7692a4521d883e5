import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVm, powerOnVm, readVm, requireByInventoryPath, TaskTimeoutError, VimSession } from '../packages/vsphere/src/index';
import { startVcsim, type Vcsim } from './support/vcsim';

/*
 * vcsim finishes tasks before the *_Task call returns, so a task that outlives its timeout is made by
 * delaying the simulator's WaitForUpdatesEx answers (vcsim -method-delay), which is how the client
 * learns a task's state.
 */

let vcsim: Vcsim;
let session: VimSession;

beforeAll(async () => {
  vcsim = await startVcsim({ extra: ['-method-delay', 'WaitForUpdatesEx:8000'] });
  session = await VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
});
afterAll(async () => {
  await session?.logout();
  await vcsim?.stop();
});

describe('vSphere task timeouts', () => {
  it('gives up on a task whose state does not arrive in time, naming the task, and cleans up its watcher', async () => {
    const folder = await requireByInventoryPath(session, 'DC0/vm', 'folder');
    const pool = await requireByInventoryPath(session, 'DC0/host/DC0_C0/Resources', 'resource pool');
    const vm = await createVm(session, { folder, pool }, { name: 'slow', guestId: 'otherGuest64', vmPathName: '[LocalDS_0]', memoryMB: 64 }, { timeoutMs: 60_000 });

    const error = await powerOnVm(session, vm, { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect((error as TaskTimeoutError).message).toMatch(/^vSphere task task-\S+ did not finish within 1000 ms \(state unknown, progress 0%\)$/);
    expect((error as TaskTimeoutError).task.type).toBe('Task');

    const calls = await vcsim.calls();
    const created = calls.filter((call) => call.method === 'CreatePropertyCollector').length;
    const destroyed = calls.filter((call) => call.method === 'DestroyPropertyCollector' && call.status === 200).length;
    expect(destroyed).toBe(created);
    // The task itself ran: only the wait for it was cut short.
    expect((await readVm(session, vm)).powerState).toBe('poweredOn');
  });
});
