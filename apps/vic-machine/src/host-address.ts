import { isIP } from 'node:net';

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Whether only this machine can reach `host`: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Where a client on this machine connects to an endpoint bound to `host` (a wildcard is not an address). */
export function clientHost(host: string): string {
  return WILDCARDS.has(host) ? '127.0.0.1' : host;
}

export function isWildcard(host: string): boolean {
  return WILDCARDS.has(host);
}

/** `host:port` for a URL: IPv6 addresses in brackets. */
export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
