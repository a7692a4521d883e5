import { vchLayout } from '../vch-layout';
import { applianceStatus, localClient } from '../vsphere/appliance-status';
import { findVchs } from '../vsphere/find-vchs';
import type { VsphereTarget } from '../vsphere/vsphere-target';
import { withVsphere, type ConnectFlags } from '../vsphere/vsphere-command';

/** `vic-machine ls` on vSphere: the VCHs the compute resource holds, found from the inventory. */
export async function listVsphereVchs(stateRoot: string, target: VsphereTarget, flags: ConnectFlags): Promise<void> {
  const rows = [['NAME', 'PATH', 'STATUS', 'DOCKER_HOST']];
  await withVsphere(target, flags, async (connection) => {
    for (const vch of await findVchs(connection.session, connection.pool.ref)) {
      const status = await applianceStatus(vch.endpointPower, localClient(vchLayout(stateRoot, vch.record.name), vch.pool));
      rows.push([vch.record.name, `${connection.pool.path}/${vch.record.name}`, status.short, vch.record.dockerHost]);
    }
  });
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) console.log(row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell)).join('   '));
}
