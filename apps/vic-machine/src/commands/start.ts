import { dockerEnvLines } from '../endpoint-address';
import { stopEndpoint } from '../endpoint-process';
import { VicMachineError } from '../errors';
import { progress } from '../progress';
import { readVchConfig, type VchConfig } from '../vch-config';
import type { VchLayout } from '../vch-layout';
import { startVch } from '../vch-startup';
import { vchStatus } from '../vch-status';

/**
 * `vic-machine start`: starts a stopped VCH's endpoint again (same port, certificates and state),
 * which takes over the container VMs still running, and prints the docker environment; a running
 * VCH is left as it is.
 */
export async function startExistingVch(layout: VchLayout): Promise<void> {
  const config = readVchConfig(layout);
  const status = await vchStatus(layout, config);
  if (status.state === 'not answering') {
    throw new VicMachineError(`VCH ${layout.name}: its endpoint (pid ${status.pid}) runs but does not answer (${status.reason}); see ${layout.log}, or delete and create the VCH`);
  }
  if (status.state === 'running') {
    progress(`VCH ${layout.name} is already running (endpoint pid ${status.pid}). To use it:`);
    for (const line of dockerEnvLines(config, layout)) console.log(line);
    return;
  }
  // Container VMs the previous endpoint left running are taken over by the new one (live restore).
  let served: VchConfig;
  try {
    served = await startVch(layout, config);
  } catch (error) {
    await stopEndpoint(layout);
    throw error;
  }
  progress(`VCH ${layout.name} is ready. To use it:`);
  for (const line of dockerEnvLines(served, layout)) console.log(line);
}
