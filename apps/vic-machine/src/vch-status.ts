import { runningEndpointPid } from './endpoint-process';
import { pingEndpoint } from './ping';
import type { VchConfig } from './vch-config';
import type { VchLayout } from './vch-layout';

const STATUS_PING_TIMEOUT_MS = 3_000;

export type VchStatus = { state: 'running'; pid: number } | { state: 'not answering'; pid: number; reason: string } | { state: 'stopped' };

/** Running means both: the endpoint process is alive, and it answers /_ping over its TLS. */
export async function vchStatus(layout: VchLayout, config: VchConfig): Promise<VchStatus> {
  const pid = runningEndpointPid(layout);
  if (pid === null) return { state: 'stopped' };
  const ping = await pingEndpoint(config, layout, STATUS_PING_TIMEOUT_MS);
  return ping.ok ? { state: 'running', pid } : { state: 'not answering', pid, reason: ping.reason };
}

export function describeStatus(status: VchStatus): string {
  switch (status.state) {
    case 'running':
      return `running (endpoint pid ${status.pid})`;
    case 'not answering':
      return `not answering (endpoint pid ${status.pid}: ${status.reason})`;
    case 'stopped':
      return 'stopped';
  }
}
