import { DEFAULT_PATH } from './find-executable';

export interface SessionEnvInput {
  /** The image's and the session's "KEY=value" entries, later ones winning; "KEY" alone unsets. */
  env: string[];
  /** The resolved user's home directory. */
  home: string;
  hostname: string;
  tty: boolean;
}

/**
 * The environment a session's process starts with, built the way Docker and runc build it:
 * PATH, HOSTNAME and (with a tty) TERM first, then the session's entries, which replace a
 * default in place or are appended; HOME from the user's passwd entry last, unless set.
 */
export function buildSessionEnv({ env, home, hostname, tty }: SessionEnvInput): string[] {
  const values = new Map<string, string>([
    ['PATH', DEFAULT_PATH],
    ['HOSTNAME', hostname],
  ]);
  if (tty) values.set('TERM', 'xterm');
  for (const entry of env) {
    const equals = entry.indexOf('=');
    if (equals < 0) {
      values.delete(entry);
    } else if (equals > 0) {
      values.set(entry.slice(0, equals), entry.slice(equals + 1));
    }
  }
  if (!values.has('HOME')) values.set('HOME', home);
  return [...values].map(([key, value]) => `${key}=${value}`);
}
