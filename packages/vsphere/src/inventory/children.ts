import { childrenFilterSpec } from '../property/filter-spec.js';
import { retrieveWithSpec } from '../property/retrieve-properties.js';
import type { VimSession } from '../session/vim-session.js';
import type { MoRef } from '../soap/moref.js';

export interface NamedObject {
  readonly ref: MoRef;
  readonly name: string;
}

/** Where the children of each container type hang: folders, and pools (which also hold vApps). */
const CHILD_PATH: Readonly<Record<string, string>> = {
  Folder: 'childEntity',
  ResourcePool: 'resourcePool',
  VirtualApp: 'resourcePool',
};

/** The direct children of a Folder, ResourcePool or VirtualApp with their names, in one round trip. */
export async function listChildren(session: VimSession, parent: MoRef): Promise<NamedObject[]> {
  const path = CHILD_PATH[parent.type];
  if (path === undefined) throw new TypeError(`cannot list the children of a ${parent.type}`);
  const contents = await retrieveWithSpec(session, childrenFilterSpec(parent, path, 'ManagedEntity', ['name']));
  return contents.map(({ obj, props }) => ({ ref: obj, name: String(props.name) }));
}
