import { dockerEnvLines } from '../endpoint-address';
import { stopEndpoint } from '../endpoint-process';
import type { LogLevel } from '../options';
import { progress } from '../progress';
import { readVchConfig, writeVchConfig } from '../vch-config';
import type { VchLayout } from '../vch-layout';
import { startVch } from '../vch-startup';
import { vchStatus } from '../vch-status';

/**
 * `vic-machine debug`: sets the endpoint's log level (debug: a line per API request in the
 * endpoint log). A running endpoint is restarted with it; its container VMs keep running and the
 * new endpoint takes them over (live restore). VIC's debug also enabled SSH on the endpoint VM,
 * which has no meaning while the endpoint runs on this machine.
 */
export async function debugVch(layout: VchLayout, level: LogLevel): Promise<void> {
  const config = { ...readVchConfig(layout), logLevel: level };
  writeVchConfig(layout, config);
  const status = await vchStatus(layout, config);
  if (status.state === 'stopped') {
    progress(`VCH ${layout.name}: log level ${level}, from the endpoint's next start`);
    return;
  }
  progress(`VCH ${layout.name}: restarting the endpoint (pid ${status.pid}) with log level ${level}; container VMs keep running`);
  await stopEndpoint(layout);
  const served = await startVch(layout, config);
  progress(`VCH ${layout.name} logs at level ${level} to ${layout.log}. To use it:`);
  for (const line of dockerEnvLines(served, layout)) console.log(line);
}
