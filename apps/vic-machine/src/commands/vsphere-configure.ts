import { datastorePath, makeDirectory, reconfigureVm, updateResourceConfig, VimFault } from '@vic/vsphere';
import { VicMachineError } from '../errors';
import { progress } from '../progress';
import type { VchLayout } from '../vch-layout';
import { applianceExtraConfig, readApplianceConfig, withVolumeStores } from '../vsphere/appliance-config';
import { restartAppliance } from '../vsphere/appliance-power';
import { localClient } from '../vsphere/appliance-status';
import { RECORD_KEYS, limitsExtraConfig, recordVolumeStores } from '../vsphere/vch-record';
import { describeLimits, limitsResourceConfig } from '../vsphere/vch-limits';
import { poolKind } from '../vsphere/vch-pool';
import type { VsphereTarget } from '../vsphere/vsphere-target';
import type { VchLimits, VolumeStore } from '../vsphere/vsphere-vch';
import { applianceOf, requireVch, withVsphere, type ConnectFlags } from '../vsphere/vsphere-command';

export interface ConfigureChange {
  readonly limits: VchLimits;
  /** Stores to add; a label the VCH has already is refused. */
  readonly volumeStores: readonly VolumeStore[];
}

/**
 * `vic-machine configure` on vSphere: changes the CPU and memory limits of the VCH's vApp (or
 * resource pool), which apply to what runs in it as it runs, and adds volume stores, which the
 * endpoint learns at its start: the appliance's configuration gets them and a powered-on appliance
 * is power-cycled (its container VMs keep running; the new endpoint takes them over). The endpoint
 * VM's record follows.
 */
export async function configureVsphereVch(layout: VchLayout, target: VsphereTarget, flags: ConnectFlags, change: ConfigureChange, timeoutMs: number): Promise<void> {
  if (change.limits.cpuMHz === undefined && change.limits.memoryMB === undefined && change.volumeStores.length === 0) {
    throw new VicMachineError('nothing to configure: give --cpu, --memory or --volume-store');
  }
  await withVsphere(target, flags, async (connection) => {
    const { session } = connection;
    const vch = await requireVch(connection, layout.name);
    const clash = change.volumeStores.find((store) => vch.record.volumeStores.some((existing) => existing.label === store.label));
    if (clash) throw new VicMachineError(`VCH ${layout.name} already has a volume store labelled ${clash.label}`);
    const appliance = readApplianceConfig(layout.name, vch.extraConfig);
    const limits: VchLimits = { ...vch.record.limits, ...change.limits };
    const volumeStores = [...vch.record.volumeStores, ...change.volumeStores];
    // Limits first: the one step vSphere may refuse (vcsim's vApps lack UpdateConfig), before anything changed.
    if (change.limits.cpuMHz !== undefined || change.limits.memoryMB !== undefined) {
      progress(`setting the limits of ${poolKind(vch.pool)} ${connection.pool.path}/${layout.name}: ${describeLimits(limits)}`);
      await updateResourceConfig(session, vch.pool, { config: limitsResourceConfig(limits) }).catch((error: unknown) => {
        if (error instanceof VimFault && error.faultName === 'MethodNotFound') {
          throw new VicMachineError(`${target.host} cannot change the limits of ${poolKind(vch.pool)} ${layout.name} (${error.message}); nothing was changed`);
        }
        throw error;
      });
    }
    for (const store of change.volumeStores) {
      const path = datastorePath(store.datastore, store.path);
      progress(`creating volume store ${store.label} at ${path}`);
      await makeDirectory(session, path, connection.datacenter.ref);
    }
    await reconfigureVm(session, vch.endpointVm, {
      extraConfig: {
        ...limitsExtraConfig(limits),
        [RECORD_KEYS.volumeStores]: recordVolumeStores(volumeStores),
        ...(change.volumeStores.length === 0 ? {} : applianceExtraConfig(withVolumeStores(appliance, change.volumeStores))),
      },
    });
    if (change.volumeStores.length === 0) return;
    if (vch.endpointPower !== 'poweredOn') {
      progress(`the endpoint gets the new volume store(s) when the appliance next starts (vic-machine start)`);
      return;
    }
    progress(`restarting the appliance so its endpoint gets the new volume store(s)`);
    await restartAppliance(applianceOf(connection, vch), localClient(layout, vch.pool), timeoutMs);
  });
  progress(`VCH ${layout.name} configured`);
}
