import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { complain, say } from './console';

/** Restarts back off from 1 s, doubling up to 30 s; a run that lasted a minute starts over at 1 s. */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
const HEALTHY_RUN_MS = 60_000;

/**
 * Runs the endpoint and starts it again whenever it exits, as VIC's appliance did. Its output goes
 * straight to the console, where `vic-machine debug` reads it. Never returns.
 */
export async function superviseEndpoint(endpointBundle: string, args: readonly string[]): Promise<never> {
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    const started = Date.now();
    say(`starting the endpoint: ${args.join(' ')}`);
    const outcome = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [endpointBundle, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.once('error', (error) => resolve(`could not start: ${error.message}`));
      child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with code ${code}`));
    });
    if (Date.now() - started >= HEALTHY_RUN_MS) backoff = FIRST_BACKOFF_MS;
    complain(`the endpoint ${outcome}; restarting it in ${backoff / 1000} s`);
    await sleep(backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}
