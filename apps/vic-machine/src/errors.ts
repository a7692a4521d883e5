/** A failure the user can act on: the message says what failed and what to do; no stack trace. */
export class VicMachineError extends Error {
  override readonly name = 'VicMachineError';
}
