import { constants } from 'node:os';

const signalNumbers = constants.signals as Record<string, number>;

/**
 * A signal as the Engine API takes it (`SIGTERM`, `TERM`, `15`, any case) in the `SIGTERM` form
 * the tether sends; null when it names no signal.
 */
export function normalizeSignal(input: string): string | null {
  const trimmed = input.trim();
  if (/^\d+$/.test(trimmed)) {
    const number = Number(trimmed);
    return Object.keys(signalNumbers).find((name) => signalNumbers[name] === number) ?? null;
  }
  const upper = trimmed.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return Object.hasOwn(signalNumbers, name) ? name : null;
}

/** The number of a signal in `SIGTERM` form, as dockerd's kill events report it. */
export function signalNumber(name: string): number | undefined {
  return signalNumbers[name];
}
