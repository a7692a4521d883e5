import type { VimSession } from '../session/vim-session.js';
import { toSoapMoRef, type MoRef } from '../soap/moref.js';
import { runTask, type AwaitTaskOptions } from '../tasks/await-task.js';

/** FileManager.MakeDirectory for a datastore path ("[ds] vic/images"), parents included. */
export async function makeDirectory(session: VimSession, path: string, datacenter?: MoRef): Promise<void> {
  await session.call('MakeDirectory', session.serviceContent.fileManager, {
    name: path,
    ...(datacenter === undefined ? {} : { datacenter: toSoapMoRef(datacenter) }),
    createParentDirectories: true,
  });
}

/** FileManager.DeleteDatastoreFile_Task: removes a file or a directory tree. */
export async function deleteDatastoreFile(session: VimSession, path: string, datacenter?: MoRef, options?: AwaitTaskOptions): Promise<void> {
  await runTask(
    session,
    'DeleteDatastoreFile_Task',
    session.serviceContent.fileManager,
    { name: path, ...(datacenter === undefined ? {} : { datacenter: toSoapMoRef(datacenter) }) },
    options,
  );
}

/** FileManager.MoveDatastoreFile_Task within one datacenter; `force` replaces an existing destination. */
export async function moveDatastoreFile(
  session: VimSession,
  move: { readonly from: string; readonly to: string; readonly datacenter?: MoRef; readonly force?: boolean },
  options?: AwaitTaskOptions,
): Promise<void> {
  const datacenter = (name: string): object => (move.datacenter === undefined ? {} : { [name]: toSoapMoRef(move.datacenter) });
  await runTask(
    session,
    'MoveDatastoreFile_Task',
    session.serviceContent.fileManager,
    { sourceName: move.from, ...datacenter('sourceDatacenter'), destinationName: move.to, ...datacenter('destinationDatacenter'), force: move.force ?? false },
    options,
  );
}
