import { setTimeout as sleep } from 'node:timers/promises';
import { QmpClient } from '../../../apps/endpoint/src/portlayer/qemu/qmp-client';

/*
 * Part of the test harness that plays an ESX host: what ESX does when a running VM's NICs are
 * reconfigured (ReconfigVM_Task adding or removing a vmxnet3). vcsim only records the change; the
 * harness sees it in the inventory and hot-plugs or unplugs the NIC of the QEMU VM over QMP, as ESX
 * would hot-add or hot-remove the device: the guest gets a PCI hotplug event either way.
 */

/** A vmxnet3 NIC on its portgroup's L2 segment (a multicast group on the host's loopback). */
export interface PortgroupNic {
  mac: string;
  group: string;
  port: number;
}

/** QEMU ids of a NIC's netdev and device, from its MAC: the same at boot and at hotplug. */
export function nicIds(mac: string): { netdev: string; device: string } {
  const hex = mac.replaceAll(':', '').toLowerCase();
  return { netdev: `nd${hex}`, device: `nic${hex}` };
}

const QMP_CONNECT_TIMEOUT_MS = 10_000;
/** How long the guest may take to let go of an unplugged NIC (ACPI eject). */
const UNPLUG_TIMEOUT_MS = 15_000;

const keyOf = (nic: PortgroupNic): string => `${nic.mac.toLowerCase()}@${nic.group}:${nic.port}`;

/**
 * The NICs of one running QEMU VM, kept equal to the NICs vSphere lists for it. Changes are applied
 * one set at a time, in the background (an unplug waits for the guest), and a set that failed is
 * not retried: its error is reported once.
 */
export class NicHotplug {
  private readonly plugged = new Map<string, PortgroupNic>();
  private qmp: Promise<QmpClient> | undefined;
  private pending: PortgroupNic[] | undefined;
  private applying: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly qmpSocket: string,
    booted: PortgroupNic[],
    private readonly onError: (error: Error) => void,
  ) {
    for (const nic of booted) this.plugged.set(keyOf(nic), nic);
  }

  /** The VM's vmxnet3 NICs as the inventory now lists them. */
  update(wanted: PortgroupNic[]): void {
    const target = new Set(wanted.map(keyOf));
    const known = this.pending ? new Set(this.pending.map(keyOf)) : new Set(this.plugged.keys());
    if (target.size === known.size && [...target].every((key) => known.has(key))) return;
    this.pending = wanted;
    this.applying ??= this.drain().finally(() => (this.applying = undefined));
  }

  close(): void {
    this.closed = true;
    void this.qmp?.then((client) => client.close(), () => undefined);
  }

  private async drain(): Promise<void> {
    while (this.pending && !this.closed) {
      const wanted = this.pending;
      try {
        await this.apply(wanted);
      } catch (error) {
        if (!this.closed) this.onError(new Error(`hot-plugging NICs over QMP (${this.qmpSocket}): ${(error as Error).message}`));
        // Not retried: the harness takes the set as applied, so one failure is one error.
        this.plugged.clear();
        for (const nic of wanted) this.plugged.set(keyOf(nic), nic);
      }
      if (this.pending === wanted) this.pending = undefined;
    }
  }

  private async apply(wanted: PortgroupNic[]): Promise<void> {
    const qmp = await this.client();
    const target = new Map(wanted.map((nic) => [keyOf(nic), nic]));
    for (const [key, nic] of [...this.plugged]) {
      if (target.has(key)) continue;
      const ids = nicIds(nic.mac);
      await qmp.execute('device_del', { id: ids.device });
      const deadline = Date.now() + UNPLUG_TIMEOUT_MS;
      while (await isPlugged(qmp, ids.device)) {
        if (Date.now() > deadline) throw new Error(`the guest did not release NIC ${nic.mac} within ${UNPLUG_TIMEOUT_MS} ms`);
        await sleep(100);
      }
      await qmp.execute('netdev_del', { id: ids.netdev });
      this.plugged.delete(key);
    }
    for (const [key, nic] of target) {
      if (this.plugged.has(key)) continue;
      const ids = nicIds(nic.mac);
      await qmp.execute('netdev_add', { type: 'socket', id: ids.netdev, mcast: `${nic.group}:${nic.port}`, localaddr: '127.0.0.1' });
      await qmp.execute('device_add', { driver: 'vmxnet3', id: ids.device, netdev: ids.netdev, mac: nic.mac });
      this.plugged.set(key, nic);
    }
  }

  private client(): Promise<QmpClient> {
    this.qmp ??= QmpClient.connect(this.qmpSocket, () => undefined, QMP_CONNECT_TIMEOUT_MS);
    this.qmp.catch(() => (this.qmp = undefined));
    return this.qmp;
  }
}

async function isPlugged(qmp: QmpClient, device: string): Promise<boolean> {
  const children = (await qmp.execute('qom-list', { path: '/machine/peripheral' })) as { name: string }[];
  return children.some((child) => child.name === device);
}
