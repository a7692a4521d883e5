import type { VimSession } from '../session/vim-session.js';
import { asArray } from '../soap/any-value.js';
import { sameMoRef, type MoRef } from '../soap/moref.js';
import { vimObject } from '../soap/xsi.js';
import { objectsFilterSpec } from './filter-spec.js';

/** The current values of the watched paths of one object, after applying an update. */
export type PropertyValues = Readonly<Record<string, unknown>>;

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

interface UpdateSet {
  readonly version: string;
  readonly filterSet?: unknown;
  readonly truncated?: boolean;
}
interface ObjectUpdate {
  readonly kind: string;
  readonly obj: MoRef;
  readonly changeSet?: unknown;
}
interface PropertyChange {
  readonly name: string;
  readonly op: string;
  readonly val?: unknown;
}

/** How long one WaitForUpdatesEx may block on the server; the overall deadline is checked between calls. */
const MAX_WAIT_SECONDS = 10;

/**
 * Waits with PropertyCollector.WaitForUpdatesEx until `done` holds for an object's properties, calling
 * `onChange` with each new state. It uses a private PropertyCollector (CreatePropertyCollector), so
 * concurrent watchers never steal each other's updates, and destroys it at the end.
 */
export async function waitForProperties(
  session: VimSession,
  obj: MoRef,
  paths: readonly string[],
  done: (values: PropertyValues) => boolean,
  options: { readonly timeoutMs: number; readonly onChange?: (values: PropertyValues) => void },
): Promise<PropertyValues> {
  const deadline = Date.now() + options.timeoutMs;
  const collector = (await session.call('CreatePropertyCollector', session.serviceContent.propertyCollector)) as MoRef;
  let values: PropertyValues;
  try {
    values = await watch(session, collector, obj, paths, done, { ...options, deadline });
  } catch (error) {
    // The wait's own failure is what the caller needs; a failed clean-up is added to it, not put in its place.
    await session.call('DestroyPropertyCollector', collector).catch((cleanup: unknown) => {
      throw new AggregateError([error, cleanup], `${(error as Error).message} (and destroying its PropertyCollector failed)`);
    });
    throw error;
  }
  await session.call('DestroyPropertyCollector', collector);
  return values;
}

async function watch(
  session: VimSession,
  collector: MoRef,
  obj: MoRef,
  paths: readonly string[],
  done: (values: PropertyValues) => boolean,
  options: { readonly timeoutMs: number; readonly deadline: number; readonly onChange?: (values: PropertyValues) => void },
): Promise<PropertyValues> {
  await session.call('CreateFilter', collector, { spec: objectsFilterSpec([obj], paths), partialUpdates: false });
  const values: Record<string, unknown> = {};
  let version = '';
  for (;;) {
    const remainingMs = options.deadline - Date.now();
    if (remainingMs <= 0) {
      throw new WaitTimeoutError(`timed out after ${options.timeoutMs} ms waiting for ${obj.type} ${obj.value} (${paths.join(', ')})`);
    }
    const waitSeconds = Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.ceil(remainingMs / 1000)));
    const update = (await session.call(
      'WaitForUpdatesEx',
      collector,
      { version, options: vimObject('WaitOptions', { maxWaitSeconds: waitSeconds }) },
      { timeoutMs: waitSeconds * 1000 + 30_000 },
    )) as UpdateSet | undefined;
    if (update === undefined) continue;
    version = update.version;
    if (!applyUpdate(update, obj, values)) continue;
    options.onChange?.({ ...values });
    if (done(values)) return { ...values };
  }
}

/** Applies the changes for `obj`; returns whether any arrived. */
function applyUpdate(update: UpdateSet, obj: MoRef, values: Record<string, unknown>): boolean {
  let changed = false;
  for (const filter of asArray(update.filterSet as { objectSet?: unknown }[] | undefined)) {
    for (const object of asArray(filter.objectSet as ObjectUpdate[] | undefined)) {
      if (!sameMoRef(object.obj, obj)) continue;
      for (const change of asArray(object.changeSet as PropertyChange[] | undefined)) {
        if (change.op === 'remove' || change.op === 'indirectRemove') delete values[change.name];
        else values[change.name] = change.val;
        changed = true;
      }
    }
  }
  return changed;
}
