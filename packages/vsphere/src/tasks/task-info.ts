import type { MoRef } from '../soap/moref.js';

export type TaskState = 'queued' | 'running' | 'success' | 'error';

/** The TaskInfo fields a waiter needs. `error` is the raw LocalizedMethodFault. */
export interface TaskInfo {
  readonly key: string;
  readonly task: MoRef;
  readonly descriptionId?: string;
  readonly entityName?: string;
  readonly state: TaskState;
  readonly progress?: number;
  readonly error?: unknown;
  readonly result?: unknown;
}
