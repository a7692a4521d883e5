import { readVchConfig, vchExists } from '../vch-config';
import { vchLayout } from '../vch-layout';
import { describeStatus, vchStatus } from '../vch-status';

/** The state of a vSphere VCH's endpoint process on this machine (where vic-machine runs it). */
export async function localEndpointStatus(stateRoot: string, name: string): Promise<{ short: string; long: string }> {
  const layout = vchLayout(stateRoot, name);
  if (!vchExists(layout)) return { short: 'no endpoint here', long: `no endpoint on this machine (no ${layout.dir})` };
  const status = await vchStatus(layout, readVchConfig(layout));
  return { short: status.state, long: describeStatus(status) };
}
