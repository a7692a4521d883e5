import { waitForProperties, WaitTimeoutError } from '../property/property-watcher.js';
import type { VimSession } from '../session/vim-session.js';
import type { MoRef } from '../soap/moref.js';
import { vimFaultFromLocalized } from '../soap/vim-fault.js';
import type { TaskInfo } from './task-info.js';

export interface AwaitTaskOptions {
  readonly timeoutMs?: number;
  /** Called with each progress percentage the task reports. */
  readonly onProgress?: (percent: number, info: TaskInfo) => void;
}

export class TaskTimeoutError extends Error {
  override readonly name = 'TaskTimeoutError';
  constructor(
    readonly task: MoRef,
    readonly lastInfo: TaskInfo | undefined,
    timeoutMs: number,
  ) {
    const what = lastInfo?.descriptionId ?? task.value;
    super(`vSphere task ${what} did not finish within ${timeoutMs} ms (state ${lastInfo?.state ?? 'unknown'}, progress ${lastInfo?.progress ?? 0}%)`);
  }
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/**
 * Waits for a Task to succeed and returns its result; a task error becomes a VimFault named after the
 * fault (InvalidPowerState, FileAlreadyExists, ...). Bounded by `timeoutMs`.
 */
export async function awaitTask(session: VimSession, task: MoRef, options: AwaitTaskOptions = {}): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let last: TaskInfo | undefined;
  const finished = (values: Record<string, unknown>): boolean => {
    const info = values.info as TaskInfo | undefined;
    return info?.state === 'success' || info?.state === 'error';
  };
  try {
    await waitForProperties(session, task, ['info'], finished, {
      timeoutMs,
      onChange: (values) => {
        last = values.info as TaskInfo;
        if (last?.progress !== undefined) options.onProgress?.(last.progress, last);
      },
    });
  } catch (error) {
    if (error instanceof WaitTimeoutError) throw new TaskTimeoutError(task, last, timeoutMs);
    throw error;
  }
  if (last?.state === 'error') throw vimFaultFromLocalized(last.error);
  return last?.result;
}

/** Calls a `*_Task` method and awaits the task it returns. */
export async function runTask(
  session: VimSession,
  method: Parameters<VimSession['call']>[0],
  _this: MoRef,
  args: object,
  options?: AwaitTaskOptions,
): Promise<unknown> {
  const task = (await session.call(method, _this, args)) as MoRef;
  return awaitTask(session, task, options);
}
