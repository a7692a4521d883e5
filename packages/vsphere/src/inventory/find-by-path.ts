import type { VimSession } from '../session/vim-session.js';
import type { MoRef } from '../soap/moref.js';

/**
 * SearchIndex.FindByInventoryPath: "DC0/vm/folder/name", "DC0/host/DC0_C0/Resources/pool",
 * "DC0/datastore/LocalDS_0", "DC0/network/VM Network". Undefined when nothing is at that path.
 */
export async function findByInventoryPath(session: VimSession, path: string): Promise<MoRef | undefined> {
  const found = await session.call('FindByInventoryPath', session.serviceContent.searchIndex, { inventoryPath: path });
  return found as MoRef | undefined;
}

/** Like findByInventoryPath, failing with a message that names the path and the kind of object wanted. */
export async function requireByInventoryPath(session: VimSession, path: string, what: string): Promise<MoRef> {
  const found = await findByInventoryPath(session, path);
  if (found === undefined) throw new Error(`${what} "${path}" not found`);
  return found;
}
