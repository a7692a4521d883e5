import { rmSync } from 'node:fs';
import { datastorePath, deleteDatastoreFile, destroyEntity, powerOffVm, VimFault } from '@vic/vsphere';
import { VicMachineError } from '../errors';
import { progress } from '../progress';
import type { VchLayout } from '../vch-layout';
import { localClient } from '../vsphere/appliance-status';
import { poolKind } from '../vsphere/vch-pool';
import type { VsphereTarget } from '../vsphere/vsphere-target';
import { requireVch, withVsphere, type ConnectFlags } from '../vsphere/vsphere-command';

/**
 * `vic-machine delete` on vSphere: refuses while container VMs run unless --force; then powers off
 * the appliance VM (first, so its endpoint does not act on the container VMs going away), powers
 * off and destroys the container VMs and the appliance VM (before the vApp:
 * vcsim leaves a destroyed vApp's VMs behind), deletes the image store folder, destroys the vApp and
 * removes the local folder. Volume stores hold users' data: as in VIC, only --force deletes them.
 */
export async function deleteVsphereVch(layout: VchLayout, target: VsphereTarget, flags: ConnectFlags & { readonly force?: boolean }): Promise<void> {
  await withVsphere(target, flags, async (connection) => {
    const { session } = connection;
    const vch = await requireVch(connection, layout.name);
    const running = vch.containerVms.filter((vm) => vm.powerState === 'poweredOn');
    if (running.length > 0 && flags.force !== true) {
      throw new VicMachineError(
        `Delete failed: ${running.length} container VM(s) of VCH ${layout.name} are running (${running.map((vm) => vm.name).join(', ')}); stop them first, or run delete with --force`,
      );
    }
    const local = localClient(layout, vch.pool) !== undefined;
    for (const vm of [{ ref: vch.endpointVm, name: `${layout.name} (the appliance)`, powerState: vch.endpointPower }, ...vch.containerVms]) {
      if (vm.powerState === 'poweredOn') {
        progress(`powering off VM ${vm.name}`);
        await powerOffVm(session, vm.ref);
      }
      progress(`destroying VM ${vm.name}`);
      await destroyEntity(session, vm.ref);
    }
    const store = vch.record.imageStore.replace(/^ds:\/\//, '').split('/');
    const storePath = datastorePath(store[0]!, store.slice(1).join('/'));
    progress(`deleting the image store folder ${storePath}`);
    await deleteDatastoreFile(session, storePath, connection.datacenter.ref).catch(alreadyGone);
    if (flags.force === true) {
      for (const volumeStore of vch.record.volumeStores) {
        const path = datastorePath(volumeStore.datastore, volumeStore.path);
        progress(`--force: deleting volume store ${volumeStore.label} at ${path}`);
        await deleteDatastoreFile(session, path, connection.datacenter.ref).catch(alreadyGone);
      }
    } else if (vch.record.volumeStores.length > 0) {
      progress(`keeping the volume stores (${vch.record.volumeStores.map((store) => store.label).join(', ')}); delete --force removes them too`);
    }
    progress(`destroying ${poolKind(vch.pool)} ${connection.pool.path}/${layout.name}`);
    await destroyEntity(session, vch.pool);
    if (local) {
      progress(`removing ${layout.dir}`);
      rmSync(layout.dir, { recursive: true, force: true });
    }
  });
  progress(`VCH ${layout.name} deleted`);
}

/** A folder already gone is what delete wants. */
function alreadyGone(error: unknown): void {
  if (!(error instanceof VimFault && error.faultName === 'FileNotFound')) throw error;
}
