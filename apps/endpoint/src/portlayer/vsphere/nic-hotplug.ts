import { deviceConfigSpec, existingDevice, readDevices, reconfigureVm, vmxnet3, type MoRef } from '@vic/vsphere';
import type { SegmentNic } from '../port-layer';
import { nicBacking } from './container-vm-config';
import type { VsphereTarget } from './vsphere-target';

/**
 * Hot-adds a vmxnet3 NIC to a running container VM (a network connect): one ReconfigVM_Task, as
 * vSphere hot-adds NICs; the NIC is on the network's portgroup, as at the VM's creation.
 */
export async function plugSegmentNic(target: VsphereTarget, vm: MoRef, containerId: string, nic: SegmentNic): Promise<void> {
  const device = vmxnet3({ key: -1, backing: nicBacking(target, nic.portgroup, containerId), macAddress: nic.mac });
  await reconfigureVm(target.session, vm, { deviceChange: [deviceConfigSpec('add', device)] });
}

/** Hot-removes the NIC with this MAC from a running container VM (a network disconnect). */
export async function unplugSegmentNic(target: VsphereTarget, vm: MoRef, containerId: string, mac: string): Promise<void> {
  const nic = (await readDevices(target.session, vm)).find((device) => device.macAddress?.toLowerCase() === mac.toLowerCase());
  if (!nic) throw new Error(`the VM of container ${containerId} has no NIC with MAC address ${mac}`);
  await reconfigureVm(target.session, vm, { deviceChange: [deviceConfigSpec('remove', existingDevice(nic.type, nic.key))] });
}
