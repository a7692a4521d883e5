import { dockerEnvLines } from '../endpoint-address';
import { progress } from '../progress';
import type { VchLayout } from '../vch-layout';
import { bootAppliance, waitForAppliance } from '../vsphere/appliance-power';
import { localClient } from '../vsphere/appliance-status';
import type { VsphereTarget } from '../vsphere/vsphere-target';
import { applianceOf, requireVch, withVsphere, type ConnectFlags } from '../vsphere/vsphere-command';

/**
 * `vic-machine start` on vSphere: powers the appliance VM on (its endpoint takes over the container
 * VMs still running) and waits until docker can use it; an appliance already on is only waited for.
 */
export async function startVsphereVch(layout: VchLayout, target: VsphereTarget, flags: ConnectFlags, timeoutMs: number): Promise<void> {
  await withVsphere(target, flags, async (connection) => {
    const vch = await requireVch(connection, layout.name);
    const client = localClient(layout, vch.pool);
    const appliance = applianceOf(connection, vch);
    if (vch.endpointPower !== 'poweredOn') {
      await bootAppliance(appliance, client, timeoutMs);
    } else {
      progress(`VCH ${layout.name}: its appliance VM is already powered on`);
      if (client !== undefined) await waitForAppliance(appliance, client, timeoutMs);
    }
    if (client === undefined) {
      progress(`VCH ${layout.name} serves docker at ${vch.record.dockerHost}; its client certificates are on the machine that created it`);
      return;
    }
    progress(`VCH ${layout.name} is ready. To use it:`);
    for (const line of dockerEnvLines(client.config, layout)) console.log(line);
  });
}
