import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { parseDatastorePath, powerOffVm, VimFault, type VimSession } from '../../../packages/vsphere/src/index';
import type { Vcsim, VcsimDevice, VcsimInventory, VcsimVm } from '../vcsim';
import { watchInventory } from '../inventory-watch';
import { bootIsoVm, type IsoVm, type SerialPort } from './iso-vm';
import { NicHotplug, type PortgroupNic } from './nic-hotplug';
import type { PublicNetwork } from './public-network';

/*
 * The test harness that plays an ESX host's execution role for vcsim, which records VMs but runs
 * nothing. vcsim is the vSphere API: inventory, devices, power state, datastores (real local
 * directories). This harness is the hypervisor: it watches vcsim's inventory and, for every
 * powered-on VM, boots a QEMU VM from that VM's files (the CD-ROM's ISO and the disks' VMDKs in
 * the datastore directories), with its guestinfo, its disks on a PVSCSI controller at their units
 * and its network serial port dialing the URI in its backing. A VM powered off in vcsim is
 * stopped; a guest that shuts itself down is powered off in vcsim, as ESX reports it.
 * NICs on the public portgroup, when the test gives a public network, are cabled to it (a tap
 * each; public-network.ts); other NICs are on loopback multicast segments.
 */

export class EsxHostStandIn {
  private readonly running = new Map<string, IsoVm>();
  private readonly hotplugs = new Map<string, NicHotplug>();
  private readonly watch: { stop(): void };
  private readonly failures: Error[] = [];
  /** The public network's taps of each running VM. */
  private readonly taps = new Map<string, string[]>();
  /** Which vSphere this host belongs to: its portgroups' segments are its own (nicOf). */
  private readonly site: string;

  private constructor(
    vcsim: Vcsim,
    private readonly session: VimSession,
    private readonly workRoot: string,
    private readonly publicNetwork: PublicNetwork | undefined,
  ) {
    this.site = `${vcsim.host}:${vcsim.port}`;
    this.watch = watchInventory(vcsim, (inventory) => this.onInventory(inventory), (error) => this.failures.push(error));
  }

  /**
   * `session`: the harness's own login, for reporting guest shutdowns. `publicNetwork`: created by
   * the test before vcsim (which listens on its host address); the harness owns it from here and
   * deletes it on stop.
   */
  static start(vcsim: Vcsim, session: VimSession, workRoot: string, options: { publicNetwork?: PublicNetwork } = {}): EsxHostStandIn {
    mkdirSync(workRoot, { recursive: true });
    return new EsxHostStandIn(vcsim, session, workRoot, options.publicNetwork);
  }

  /** What went wrong running a VM, for a test to show. */
  get errors(): readonly Error[] {
    return this.failures;
  }

  /** The QEMU stand-in of a powered-on VM, by name, for tests that look at its console. */
  vm(name: string): IsoVm | undefined {
    return this.running.get(name);
  }

  async stop(): Promise<void> {
    this.watch.stop();
    for (const hotplug of this.hotplugs.values()) hotplug.close();
    this.hotplugs.clear();
    await Promise.all([...this.running.values()].map((vm) => vm.kill()));
    this.running.clear();
    this.publicNetwork?.remove();
  }

  /** The VM's QEMU is gone: its taps leave the switch. */
  private unplug(key: string): void {
    for (const tap of this.taps.get(key) ?? []) this.publicNetwork?.detach(tap);
    this.taps.delete(key);
  }

  private async onInventory(inventory: VcsimInventory): Promise<void> {
    for (const vm of inventory.vms) {
      const key = vm.ref.value;
      const runningVm = this.running.get(key);
      if (vm.powerState === 'poweredOn' && !runningVm) this.launch(vm, inventory);
      if (vm.powerState === 'poweredOn' && runningVm) this.hotplugs.get(key)?.update(this.segmentNics(vm));
      if (vm.powerState !== 'poweredOn' && runningVm) {
        this.running.delete(key);
        this.hotplugs.get(key)?.close();
        this.hotplugs.delete(key);
        await runningVm.kill();
        this.unplug(key);
      }
    }
  }

  private launch(vm: VcsimVm, inventory: VcsimInventory): void {
    const devices = vm.devices ?? [];
    const onDatastore = (fileName: string) => {
      const { datastore, path } = parseDatastorePath(fileName);
      const store = inventory.datastores.find((candidate) => candidate.name === datastore);
      if (!store) throw new Error(`VM ${vm.name}: no datastore ${datastore} for ${fileName}`);
      return join(store.url, path);
    };
    const iso = devices.find((device) => device.backingType === 'VirtualCdromIsoBackingInfo');
    if (!iso) {
      this.failures.push(new Error(`VM ${vm.name} has no ISO CD-ROM: not a container VM this host can run`));
      return;
    }
    const serialPorts = devices
      .filter((device) => device.type === 'VirtualSerialPort')
      .sort((a, b) => a.key - b.key)
      .map((device): SerialPort => {
        if (device.backingType === 'VirtualSerialPortFileBackingInfo') return { kind: 'file', path: onDatastore(String(device.backing?.FileName)) };
        const uri = new URL(String(device.backing?.ServiceURI));
        return { kind: 'tcp', host: uri.hostname, port: Number(uri.port) };
      });
    const workDir = join(this.workRoot, vm.ref.value);
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    const isoVm = bootIsoVm({
      name: vm.name,
      iso: onDatastore(String(iso.backing?.FileName)),
      workDir,
      guestInfo: Object.fromEntries(Object.entries(vm.extraConfig ?? {}).filter(([key]) => key.startsWith('guestinfo.'))),
      serialPorts,
      disks: devices.filter((device) => device.type === 'VirtualDisk').map((device) => diskOf(device, onDatastore)),
      nics: devices.filter((device) => device.type === 'VirtualVmxnet3').map((device) => this.cable(vm, device)),
      memoryMiB: typeof vm.memoryMB === 'number' ? vm.memoryMB : 512,
    });
    this.running.set(vm.ref.value, isoVm);
    this.hotplugs.set(vm.ref.value, new NicHotplug(isoVm.qmpSocket, this.segmentNics(vm), (error) => this.failures.push(error)));
    void isoVm.process.exited.then(() => this.guestStopped(vm, isoVm));
  }

  /** A NIC on the public portgroup gets a tap on the public network; any other, its multicast segment. */
  private cable(vm: VcsimVm, device: VcsimDevice): { mac: string; tap: string } | PortgroupNic {
    if (!this.publicNetwork || !this.isPublic(device)) return nicOf(device, this.site);
    const tap = this.publicNetwork.attach();
    this.taps.set(vm.ref.value, [...(this.taps.get(vm.ref.value) ?? []), tap]);
    return { mac: String(device.macAddress), tap };
  }

  private isPublic(device: VcsimDevice): boolean {
    return this.publicNetwork !== undefined && portgroupOf(device) === this.publicNetwork.portgroup;
  }

  /** The VM's NICs on loopback segments, which NicHotplug keeps in step (public NICs are cabled at boot only). */
  private segmentNics(vm: VcsimVm): PortgroupNic[] {
    return (vm.devices ?? []).filter((device) => device.type === 'VirtualVmxnet3' && !this.isPublic(device)).map((device) => nicOf(device, this.site));
  }

  /** A guest that powered itself off is powered off in vSphere too. */
  private async guestStopped(vm: VcsimVm, isoVm: IsoVm): Promise<void> {
    if (this.running.get(vm.ref.value) !== isoVm) return; // stopped by the harness after a power-off
    this.running.delete(vm.ref.value);
    this.unplug(vm.ref.value);
    this.hotplugs.get(vm.ref.value)?.close();
    this.hotplugs.delete(vm.ref.value);
    await powerOffVm(this.session, vm.ref).catch((error: unknown) => {
      if (!(error instanceof VimFault && error.faultName === 'InvalidPowerState')) this.failures.push(error as Error);
    });
  }
}

/**
 * A flat VMDK's extent holds the disk's raw bytes: QEMU runs it as raw, as ESX reads it. A disk
 * vSphere created with its VM (fileOperation create) is an empty extent in vcsim; ESX would have
 * given it its capacity, so the harness does (sparse: a blank disk costs nothing).
 */
function diskOf(device: VcsimDevice, onDatastore: (fileName: string) => string): { path: string; unit: number; format: 'raw'; readOnly: boolean } {
  const extent = onDatastore(String(device.backing?.FileName).replace(/\.vmdk$/, '-flat.vmdk'));
  const capacityKb = Number(device.capacityKB);
  if (capacityKb > 0 && existsSync(extent) && statSync(extent).size === 0) truncateSync(extent, capacityKb * 1024);
  return {
    path: extent,
    unit: Number(device.unitNumber),
    format: 'raw',
    // An image layer is attached non-persistent: the guest may not change it.
    readOnly: device.backing?.DiskMode === 'independent_nonpersistent',
  };
}

/**
 * A vmxnet3 NIC on its portgroup. A portgroup is one L2 segment for every VM on it: here a
 * multicast group on loopback, named after the portgroup and the vSphere it belongs to (`site`), so
 * VMs this harness runs on one portgroup reach each other, as on a vSwitch, and the VMs of another
 * vcsim (another test, another run on this machine) stay off that segment.
 */
function nicOf(device: VcsimDevice, site: string): PortgroupNic {
  const portgroup = portgroupOf(device);
  const hash = createHash('sha256').update(`vic-esx-portgroup:${site}:${portgroup}`).digest();
  return {
    mac: String(device.macAddress),
    group: `239.254.${hash[0]}.${hash[1]}`,
    port: 20_000 + hash.readUInt16BE(2) % 20_000,
  };
}

/** A standard portgroup is named in the NIC's backing; a distributed one is addressed by its key. */
function portgroupOf(device: VcsimDevice): string {
  const port = device.backing?.Port as { PortgroupKey?: string } | undefined;
  return String(device.backing?.DeviceName ?? port?.PortgroupKey);
}
