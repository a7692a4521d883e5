import type { Readable, Writable } from 'node:stream';
import { DetachKeyScanner } from './detach-keys';

export interface ClientInputOptions {
  /** With a tty, the sequence that detaches the client instead of reaching the process. */
  detachKeys?: Buffer;
  /** Close the process's stdin when the client closes its input (StdinOnce, and always for exec). */
  closeOnEnd: boolean;
  onDetach: () => void;
}

/** Feeds an attached client's input to a process; returns the function that stops doing so. */
export function pipeClientInput(input: Readable, processInput: Writable, options: ClientInputOptions): () => void {
  const scanner = options.detachKeys ? new DetachKeyScanner(options.detachKeys) : null;
  const onData = (chunk: Buffer) => {
    const { pass, detached } = scanner ? scanner.feed(chunk) : { pass: chunk, detached: false };
    if (pass.length > 0 && !processInput.writableEnded) processInput.write(pass);
    if (detached) {
      stop();
      options.onDetach();
    }
  };
  const onEnd = () => {
    if (options.closeOnEnd && !processInput.writableEnded) processInput.end();
  };
  const stop = () => {
    input.off('data', onData);
    input.off('end', onEnd);
  };
  input.on('data', onData);
  input.on('end', onEnd);
  input.resume(); // reading an upgrade request's body may have left it paused
  return stop;
}
