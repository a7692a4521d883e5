/** Tether diagnostics go to the VM console (PID 1's stderr), which the host keeps as a log. */
export function log(message: string): void {
  process.stderr.write(`tether: ${message}\n`);
}
