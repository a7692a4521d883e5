import { setTimeout as sleep } from 'node:timers/promises';
import type { SegmentNic } from '../port-layer';
import { nicIds } from './qemu-args';
import type { QemuVm } from './qemu-vm';

/** How long the guest may take to let go of an unplugged NIC (ACPI eject). */
const UNPLUG_TIMEOUT_MS = 15_000;

/** Hot-plugs a virtio-net NIC on a segment into a running VM. */
export async function plugSegmentNic(vm: QemuVm, nic: SegmentNic): Promise<void> {
  const ids = nicIds(nic.mac);
  await vm.execute('netdev_add', { type: 'socket', id: ids.netdev, mcast: `${nic.group}:${nic.port}`, localaddr: '127.0.0.1' });
  try {
    await vm.execute('device_add', { driver: 'virtio-net-pci', id: ids.device, netdev: ids.netdev, mac: nic.mac });
  } catch (err) {
    await vm.execute('netdev_del', { id: ids.netdev });
    throw err;
  }
}

/** Unplugs the NIC with this MAC: the guest ejects the device, then its netdev goes. */
export async function unplugSegmentNic(vm: QemuVm, mac: string): Promise<void> {
  const ids = nicIds(mac);
  await vm.execute('device_del', { id: ids.device });
  const deadline = Date.now() + UNPLUG_TIMEOUT_MS;
  while (await isPlugged(vm, ids.device)) {
    if (Date.now() > deadline) throw new Error(`the guest did not release NIC ${mac} within ${UNPLUG_TIMEOUT_MS} ms`);
    await sleep(100);
  }
  await vm.execute('netdev_del', { id: ids.netdev });
}

async function isPlugged(vm: QemuVm, device: string): Promise<boolean> {
  const children = (await vm.execute('qom-list', { path: '/machine/peripheral' })) as { name: string }[];
  return children.some((child) => child.name === device);
}
