import { setTimeout as sleep } from 'node:timers/promises';
import { dockerHost } from './endpoint-address';
import { launchEndpoint, logTail } from './endpoint-process';
import { VicMachineError } from './errors';
import { pingEndpoint } from './ping';
import { writeVchConfig, type VchConfig } from './vch-config';
import type { VchLayout } from './vch-layout';
import { progress } from './progress';

/** From spawning the endpoint to its first good /_ping. */
export const STARTUP_TIMEOUT_MS = 30_000;
const PING_RETRY_MS = 200;
const PING_TIMEOUT_MS = 2_000;

/**
 * Starts the VCH's endpoint and waits (bounded) until docker could use it: it listens, and
 * /_ping answers over TLS with the client certificate. Records the port it serves on, so a VCH
 * created with --port 0 keeps its port across restarts. Returns the config as recorded.
 */
export async function startVch(layout: VchLayout, config: VchConfig): Promise<VchConfig> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  progress(`starting the endpoint (log: ${layout.log})`);
  const { pid, port } = await launchEndpoint(layout, config, STARTUP_TIMEOUT_MS);
  const served = { ...config, port };
  writeVchConfig(layout, served);
  progress(`endpoint pid ${pid} listening on ${dockerHost(served)}; waiting for /_ping${!served.tls ? '' : served.noTlsVerify ? ' over TLS' : ' over TLS with the client certificate'}`);
  let reason = '';
  while (Date.now() < deadline) {
    const ping = await pingEndpoint(served, layout, Math.min(PING_TIMEOUT_MS, Math.max(1, deadline - Date.now())));
    if (ping.ok) return served;
    reason = ping.reason;
    await sleep(PING_RETRY_MS);
  }
  throw new VicMachineError(`the endpoint did not answer /_ping within ${STARTUP_TIMEOUT_MS / 1000} s (last: ${reason})\n${logTail(layout)}`);
}
