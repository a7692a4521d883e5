import type { VimSession } from '../session/vim-session.js';
import { asArray } from '../soap/any-value.js';
import { sameMoRef, type MoRef } from '../soap/moref.js';
import { VimRequestError } from '../soap/vim-request-error.js';
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

/** How long one WaitForUpdatesEx may block on the server. */
const MAX_WAIT_SECONDS = 10;
/** Time a server gets past the deadline to answer a wait that ends exactly at it. */
const GRACE_MS = 2_000;

/**
 * Waits with PropertyCollector.WaitForUpdatesEx until `done` holds for an object's properties, calling
 * `onChange` with each new state. It uses a private PropertyCollector (CreatePropertyCollector), so
 * concurrent watchers never steal each other's updates, and destroys it at the end. Every call made
 * for the wait is bounded by what is left of `timeoutMs`.
 */
export async function waitForProperties(
  session: VimSession,
  obj: MoRef,
  paths: readonly string[],
  done: (values: PropertyValues) => boolean,
  options: { readonly timeoutMs: number; readonly onChange?: (values: PropertyValues) => void },
): Promise<PropertyValues> {
  const wait = new Deadline(options.timeoutMs, `${obj.type} ${obj.value} (${paths.join(', ')})`);
  const collector = (await wait.bound(() =>
    session.call('CreatePropertyCollector', session.serviceContent.propertyCollector, {}, { timeoutMs: wait.callTimeoutMs() }),
  )) as MoRef;
  let values: PropertyValues;
  try {
    values = await watch(session, collector, obj, paths, done, wait, options.onChange);
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
  wait: Deadline,
  onChange: ((values: PropertyValues) => void) | undefined,
): Promise<PropertyValues> {
  await wait.bound(() =>
    session.call('CreateFilter', collector, { spec: objectsFilterSpec([obj], paths), partialUpdates: false }, { timeoutMs: wait.callTimeoutMs() }),
  );
  const values: Record<string, unknown> = {};
  let version = '';
  for (;;) {
    const waitSeconds = Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.ceil(wait.remainingMs() / 1000)));
    const update = (await wait.bound(() =>
      session.call(
        'WaitForUpdatesEx',
        collector,
        { version, options: vimObject('WaitOptions', { maxWaitSeconds: waitSeconds }) },
        { timeoutMs: wait.callTimeoutMs() },
      ),
    )) as UpdateSet | undefined;
    if (update !== undefined) {
      version = update.version;
      if (applyUpdate(update, obj, values)) {
        onChange?.({ ...values });
        if (done(values)) return { ...values };
      }
    }
  }
}

/** The time left for one wait; turns a call cut off by it into a WaitTimeoutError. */
class Deadline {
  private readonly at: number;

  constructor(
    private readonly timeoutMs: number,
    private readonly what: string,
  ) {
    this.at = Date.now() + timeoutMs;
  }

  remainingMs(): number {
    return this.at - Date.now();
  }

  callTimeoutMs(): number {
    return Math.max(1, this.remainingMs()) + GRACE_MS;
  }

  async bound<T>(call: () => Promise<T>): Promise<T> {
    if (this.remainingMs() <= 0) throw this.expired();
    try {
      return await call();
    } catch (error) {
      if (error instanceof VimRequestError && this.remainingMs() <= 0) throw this.expired();
      throw error;
    }
  }

  private expired(): WaitTimeoutError {
    return new WaitTimeoutError(`timed out after ${this.timeoutMs} ms waiting for ${this.what}`);
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
