import { constants } from 'node:os';
import type { ExitStatus } from './messages';

/** The exit code Docker reports: the process's own code, or 128 + the number of the signal that ended it. */
export function exitCode(exit: ExitStatus): number {
  if (exit.signal === undefined) return exit.code;
  const number = (constants.signals as Record<string, number>)[exit.signal];
  return 128 + (number ?? 0);
}
