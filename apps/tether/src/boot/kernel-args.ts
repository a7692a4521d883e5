import { readFileSync } from 'node:fs';

/** The container's identity and channel token, which the port layer puts on the kernel command line. */
export interface BootArgs {
  containerId: string;
  token: string;
}

export function parseKernelArgs(cmdline: string): Map<string, string> {
  const args = new Map<string, string>();
  for (const word of cmdline.trim().split(/\s+/)) {
    const eq = word.indexOf('=');
    if (eq > 0) args.set(word.slice(0, eq), word.slice(eq + 1));
  }
  return args;
}

export function readBootArgs(path = '/proc/cmdline'): BootArgs {
  const args = parseKernelArgs(readFileSync(path, 'utf8'));
  const containerId = args.get('vic.id');
  const token = args.get('vic.token');
  if (!containerId || !token) throw new Error('kernel command line lacks vic.id= or vic.token=');
  return { containerId, token };
}
