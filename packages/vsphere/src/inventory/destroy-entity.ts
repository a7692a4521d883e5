import type { VimSession } from '../session/vim-session.js';
import type { MoRef } from '../soap/moref.js';
import { runTask, type AwaitTaskOptions } from '../tasks/await-task.js';

/** ManagedEntity.Destroy_Task: removes a VM (and its files), a resource pool or a vApp. */
export async function destroyEntity(session: VimSession, entity: MoRef, options?: AwaitTaskOptions): Promise<void> {
  await runTask(session, 'Destroy_Task', entity, {}, options);
}
