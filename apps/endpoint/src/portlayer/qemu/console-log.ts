import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** The console log is a file QEMU appends to; polling it is cheaper than watching under load. */
const POLL_MS = 20;

export async function readConsoleLog(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/**
 * Resolves with the whole log once `pattern` appears in it. Rejects when `timeoutMs` passes or
 * when `ended` settles first (the VM exited) and the pattern still is not there.
 */
export async function waitForConsoleText(
  path: string,
  pattern: RegExp | string,
  timeoutMs: number,
  ended: Promise<unknown>,
  vmName: string,
): Promise<string> {
  const matches = (text: string) => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text));
  let hasEnded = false;
  void ended.then(() => {
    hasEnded = true;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const endedBeforeRead = hasEnded;
    const text = await readConsoleLog(path);
    if (matches(text)) return text;
    if (endedBeforeRead) throw new Error(`VM ${vmName} exited without printing ${String(pattern)}; console ends: ${JSON.stringify(text.slice(-500))}`);
    if (Date.now() > deadline) throw new Error(`VM ${vmName} did not print ${String(pattern)} within ${timeoutMs} ms; console ends: ${JSON.stringify(text.slice(-500))}`);
    await sleep(POLL_MS);
  }
}
