import type { TtySize } from '@vic/protocol';

/** dockerd's terminal size when the client sent none. */
const DEFAULT_TTY_SIZE: TtySize = { rows: 24, cols: 80 };

/** The terminal a container or exec gets: the client's `ConsoleSize` ([height, width]) when it sent one. */
export function ttySize(consoleSize: [number, number] | null | undefined): TtySize {
  return consoleSize?.[0] && consoleSize[1] ? { rows: consoleSize[0], cols: consoleSize[1] } : DEFAULT_TTY_SIZE;
}
