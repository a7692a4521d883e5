/**
 * Progress goes to stderr, so stdout carries only what a user pastes or a script evaluates
 * (`eval "$(vic-machine create ...)"` works).
 */
export function progress(line: string): void {
  process.stderr.write(`vic-machine: ${line}\n`);
}
