import type { VimSession } from '../session/vim-session.js';
import { asArray } from '../soap/any-value.js';
import type { MoRef } from '../soap/moref.js';
import { vimFaultFromLocalized, type VimFault } from '../soap/vim-fault.js';
import { vimObject } from '../soap/xsi.js';
import { objectsFilterSpec } from './filter-spec.js';

/** One object's properties: path -> decoded value; `missing` holds paths the server could not read. */
export interface ObjectProperties {
  readonly obj: MoRef;
  readonly props: Readonly<Record<string, unknown>>;
  readonly missing: Readonly<Record<string, VimFault>>;
}

interface RetrieveResult {
  readonly token?: string;
  readonly objects?: unknown;
}

interface ObjectContent {
  readonly obj: MoRef;
  readonly propSet?: unknown;
  readonly missingSet?: unknown;
}

/** PropertyCollector.RetrievePropertiesEx for any PropertyFilterSpec, following continuation tokens. */
export async function retrieveWithSpec(session: VimSession, spec: object): Promise<ObjectProperties[]> {
  const collector = session.serviceContent.propertyCollector;
  const found: ObjectProperties[] = [];
  let result = (await session.call('RetrievePropertiesEx', collector, {
    specSet: [spec],
    options: vimObject('RetrieveOptions', {}),
  })) as RetrieveResult | null | undefined;
  // Nothing matched: the answer is empty (null once decoded).
  while (result !== undefined && result !== null) {
    found.push(...asArray(result.objects as ObjectContent[] | undefined).map(toObjectProperties));
    if (result.token === undefined) break;
    result = (await session.call('ContinueRetrievePropertiesEx', collector, { token: result.token })) as RetrieveResult;
  }
  return found;
}

export function retrieveProperties(session: VimSession, objects: readonly MoRef[], paths: readonly string[]): Promise<ObjectProperties[]> {
  return retrieveWithSpec(session, objectsFilterSpec(objects, paths));
}

/** The properties of one object; a missing object fails with ManagedObjectNotFound. */
export async function retrieveOne(session: VimSession, obj: MoRef, paths: readonly string[]): Promise<ObjectProperties> {
  const [content] = await retrieveProperties(session, [obj], paths);
  if (content === undefined) throw new Error(`vSphere returned no properties for ${obj.type} ${obj.value}`);
  return content;
}

function toObjectProperties(content: ObjectContent): ObjectProperties {
  const props: Record<string, unknown> = {};
  for (const property of asArray(content.propSet as { name: string; val?: unknown }[] | undefined)) {
    props[property.name] = property.val;
  }
  const missing: Record<string, VimFault> = {};
  for (const property of asArray(content.missingSet as { path: string; fault: unknown }[] | undefined)) {
    missing[property.path] = vimFaultFromLocalized(property.fault);
  }
  return { obj: content.obj, props, missing };
}
