import { constants } from 'node:os';

const byName = constants.signals as Record<string, number>;

/** Accepts "SIGTERM", "TERM" or "15", as `docker kill --signal` does. */
export function parseSignal(input: string): number | null {
  if (/^\d+$/.test(input)) {
    const n = Number(input);
    return n > 0 && n < 65 ? n : null;
  }
  const upper = input.toUpperCase();
  return byName[upper.startsWith('SIG') ? upper : `SIG${upper}`] ?? null;
}

export function signalName(signal: number): string {
  return Object.entries(byName).find(([, n]) => n === signal)?.[0] ?? String(signal);
}
