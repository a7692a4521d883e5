import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { GUESTINFO_KEYS, type DiskRef, type MountSpec } from '@vic/protocol';
import { copyVirtualDisk, createVm, deleteDatastoreFile, deleteVirtualDisk, destroyVm, deviceConfigSpec, existingDevice, readDevices, readHardware, listPoolVms, powerOffVm, powerOnVm, readVm, reconfigureVm, VimFault, waitForProperties, WaitTimeoutError, type MoRef } from '@vic/vsphere';
import { ChannelListener } from '../../tether-bridge/channel-dialer';
import { TetherClient } from '../../tether-bridge/tether-client';
import type { ContainerVmHandle, ContainerVmRequest, FilesystemAccess, LayerDisk, PortLayer, SessionAdopter, VmMount } from '../port-layer';
import { createWritableDisk } from '../writable-disk';
import { containerVmConfig, diskSlot, nicBacking, type ContainerVmLayout } from './container-vm-config';
import { withDatastoreRootfs, type PlacedVmdk } from './datastore-rootfs';
import { reconcileDevices } from './device-reconcile';
import { plugSegmentNic, unplugSegmentNic } from './nic-hotplug';
import { ensureStoreFolder, storeFileExists, storePath, uploadAsVmdk, uploadToStore } from './datastore-files';
import type { VsphereTarget, VsphereVolumeStore } from './vsphere-target';

/** Booting the ISO through BIOS and isolinux takes longer than the local backend's direct kernel boot. */
const BOOT_TIMEOUT_MS = 120_000;
const ADOPT_TIMEOUT_MS = 30_000;
const POWER_OFF_TIMEOUT_MS = 60_000;
/** How long one wait for a power change lasts before it is renewed. */
const POWER_WATCH_MS = 60_000;
const DEFAULT_MEMORY_MIB = 512;
/** Not a guestinfo key: the guest has no use for it, the next endpoint does. */
const CHANNEL_PORT_KEY = 'vic.channel.port';
/** What a container may write on vSphere (see scratchVmdk). */
const SCRATCH_DISK_MIB = 1024;

/** A volume's VMDK in its folder: named as the volume store names its file ("<volume>.ext4"). */
function volumeVmdkName(localDiskOrName: string): string {
  return `${basename(localDiskOrName).replace(/\.ext4$/, '')}.vmdk`;
}

export interface VspherePortLayerOptions {
  target: VsphereTarget;
  /** The bootstrap ISO, uploaded to the VCH's folder when it is not there yet. */
  iso: string;
}

/** One container VM this endpoint drives. */
interface ContainerVmState {
  vm: MoRef;
  listener: ChannelListener;
  client: TetherClient;
  poweredOff: Promise<void>;
  stopWatching(): void;
}

/**
 * The vSphere backend: each container VM is a VM in the VCH's resource pool or vApp, in its own
 * folder on the image store, booting the bootstrap ISO. Its Docker networks are IP networks on the
 * VCH's bridge portgroup or a container network's portgroup (one NIC each, as the request's
 * segments say); the way out and published ports, which VIC's appliance routed, are not there yet:
 * a container reaches its networks only. Image layers are VMDKs uploaded once to the image store
 * and attached non-persistent; a container's disk is a VMDK of its own that outlives its VM's power
 * cycles until the container is removed. The VM is made at the container's first start and reused
 * after, reconfigured at each start to match it (device-reconcile.ts); NICs are hot-added and
 * removed while it runs. The VM keeps its identity, its channel token and its
 * channel port in its extraConfig, so a restarted endpoint finds it again from the inventory alone,
 * as VIC's did.
 */
export class VspherePortLayer implements PortLayer {
  readonly backend = 'vSphere';
  private readonly running = new Map<string, ContainerVmState>();
  private readonly layerUploads = new Map<string, Promise<string>>();
  private scratchUpload: Promise<string> | undefined;

  private constructor(private readonly target: VsphereTarget) {}

  static async open(options: VspherePortLayerOptions): Promise<VspherePortLayer> {
    if (!(await storeFileExists(options.target, 'bootstrap.iso'))) await uploadToStore(options.target, options.iso, 'bootstrap.iso');
    return new VspherePortLayer(options.target);
  }

  async powerOn(request: ContainerVmRequest): Promise<ContainerVmHandle> {
    const { containerId } = request;
    if (request.outbound && request.outbound.forwards.length > 0) {
      const ports = request.outbound.forwards.map((forward) => `${forward.hostPort}:${forward.guestPort}/${forward.protocol}`).join(', ');
      throw new Error(`published ports (${ports}) are not supported by vic's vSphere backend yet: reach the container on the bridge network`);
    }
    const volumes = (request.mounts ?? []).map((mount) => {
      if (mount.kind !== 'disk') throw new Error(`host directories cannot be shared with a container VM on vSphere (-v ${mount.source}:${mount.target}): use a volume`);
      return mount;
    });
    const layerDisks = await Promise.all(request.layers.map((layer) => this.layerVmdk(layer)));
    const writableDisk = await this.writableVmdk(containerId);
    const volumeDisks = await Promise.all(volumes.map((volume) => this.volumeVmdk(volume.path)));
    const existing = await this.findVm(containerId);
    const identity = existing ? await this.identityOf(existing) : { token: randomBytes(16).toString('hex'), channelPort: 0 };
    const listener = await ChannelListener.listen(this.target.channelHost, identity.channelPort);
    try {
      const layout: ContainerVmLayout = {
        containerId,
        token: identity.token,
        layerDisks,
        writableDisk,
        volumeDisks,
        nics: (request.segments ?? []).map((segment) => ({ mac: segment.mac, ...(segment.portgroup ? { portgroup: segment.portgroup } : {}) })),
        channelPort: listener.port,
        memoryMiB: request.memoryMiB ?? DEFAULT_MEMORY_MIB,
        cpus: request.cpus ?? 1,
      };
      const vm = existing ?? (await createVm(this.target.session, { folder: this.target.vmFolder, pool: this.target.pool }, containerVmConfig(this.target, layout)));
      // A VM made at an earlier start keeps the devices it had then: what changed since (networks connected or left, volumes, size) is applied now.
      if (existing) await this.matchLayout(existing, layout);
      else await this.rememberChannelPort(vm, listener.port);
      await powerOnVm(this.target.session, vm);
      const client = await TetherClient.connect({ channel: listener, containerId, token: identity.token, connectTimeoutMs: BOOT_TIMEOUT_MS });
      const layers: DiskRef[] = layerDisks.map((_, index) => ({ serial: diskSlot(index).serial, fstype: request.layers[index]!.fstype }));
      const mounts: MountSpec[] = volumes.map((volume, index) => ({
        kind: 'disk',
        serial: diskSlot(layers.length + 1 + index).serial,
        fstype: 'ext4',
        target: volume.target,
        readOnly: volume.readOnly,
        copyImageContent: volume.copyImageContent,
      }));
      await client.configure({ ...request.config, rootfs: { layers, writable: { serial: diskSlot(layers.length).serial, fstype: 'ext4' } }, ...(mounts.length > 0 ? { mounts } : {}) });
      return this.track(containerId, vm, listener, client);
    } catch (error) {
      await listener.close();
      throw error;
    }
  }

  /** One ReconfigVM_Task that gives a powered-off container VM the NICs, volumes, CPUs and memory of this start. */
  private async matchLayout(vm: MoRef, layout: ContainerVmLayout): Promise<void> {
    const change = reconcileDevices(await readHardware(this.target.session, vm), {
      volumeSlotBase: layout.layerDisks.length + 1,
      volumeDisks: layout.volumeDisks,
      nics: layout.nics.map((nic) => ({ mac: nic.mac, backing: nicBacking(this.target, nic.portgroup, layout.containerId) })),
      numCPUs: layout.cpus,
      memoryMB: layout.memoryMiB,
    });
    if (change) await reconfigureVm(this.target.session, vm, change);
  }

  async adopt(containerId: string, adoptSession: SessionAdopter): Promise<ContainerVmHandle | null> {
    const vm = await this.findVm(containerId);
    if (!vm || (await readVm(this.target.session, vm)).powerState !== 'poweredOn') return null;
    const identity = await this.identityOf(vm);
    const listener = await ChannelListener.listen(this.target.channelHost, identity.channelPort);
    try {
      const client = await TetherClient.connect({ channel: listener, containerId, token: identity.token, connectTimeoutMs: ADOPT_TIMEOUT_MS, adoptSession });
      return this.track(containerId, vm, listener, client);
    } catch (error) {
      await listener.close();
      throw new Error(`container ${containerId}: cannot take over its running VM: ${(error as Error).message}`);
    }
  }

  async withContainerFilesystem<T>(containerId: string, layers: LayerDisk[], use: (root: string) => Promise<T>, mounts: VmMount[] = [], access: FilesystemAccess = 'write'): Promise<T> {
    if (this.running.has(containerId)) throw new Error(`container ${containerId} has a VM running; its disk cannot be mounted on the host`);
    return withDatastoreRootfs(
      {
        target: this.target,
        // Made now if the container never started: a copy into it must land where its first start finds it.
        writableDisk: await this.writableVmdk(containerId),
        layers,
        mounts,
        volumeVmdk: async (localDisk) => {
          const vmdk = this.volumeLocation(localDisk);
          return (await storeFileExists(vmdk.place, vmdk.relative)) ? vmdk : undefined;
        },
        access,
      },
      use,
    );
  }

  async removeContainer(containerId: string): Promise<void> {
    this.running.get(containerId)?.stopWatching();
    const vm = await this.findVm(containerId);
    if (vm) {
      await this.powerOffVm(vm);
      await this.detachSharedDisks(vm);
      await destroyVm(this.target.session, vm);
    }
    // What the VM's destruction did not take: a disk made for a copy into a container that never started.
    await deleteDatastoreFile(this.target.session, storePath(this.target, `containers/${containerId}`), this.target.datacenter).catch((error: unknown) => {
      if (!(error instanceof VimFault && error.faultName === 'FileNotFound')) throw error;
    });
    this.running.delete(containerId);
  }

  async powerOffAll(): Promise<void> {
    await Promise.all([...this.running.entries()].map(([, state]) => this.stop(state)));
  }

  releaseAll(): void {
    for (const state of this.running.values()) {
      state.stopWatching();
      state.client.handOver();
      void state.listener.close();
    }
    this.running.clear();
  }

  private track(containerId: string, vm: MoRef, listener: ChannelListener, client: TetherClient): ContainerVmHandle {
    const watch = this.watchPowerOff(vm);
    const state: ContainerVmState = { vm, listener, client, poweredOff: watch.poweredOff, stopWatching: watch.stop };
    this.running.set(containerId, state);
    void state.poweredOff.then(async () => {
      client.disconnect();
      await listener.close();
      if (this.running.get(containerId) === state) this.running.delete(containerId);
    });
    return {
      client,
      poweredOff: state.poweredOff,
      powerOff: () => this.stop(state),
      plugSegment: (nic) => plugSegmentNic(this.target, vm, containerId, nic),
      unplugSegment: (mac) => unplugSegmentNic(this.target, vm, containerId, mac),
    };
  }

  private async stop(state: ContainerVmState): Promise<void> {
    state.client.disconnect();
    await this.powerOffVm(state.vm);
    await Promise.race([state.poweredOff, new Promise((resolve) => setTimeout(resolve, POWER_OFF_TIMEOUT_MS).unref())]);
  }

  private async powerOffVm(vm: MoRef): Promise<void> {
    await powerOffVm(this.target.session, vm).catch((error: unknown) => {
      if (!(error instanceof VimFault && error.faultName === 'InvalidPowerState')) throw error;
    });
  }

  /** Resolves once vSphere reports the VM powered off (by us, by the guest, by an admin). */
  private watchPowerOff(vm: MoRef): { poweredOff: Promise<void>; stop(): void } {
    let stopped = false;
    const poweredOff = (async () => {
      while (!stopped) {
        try {
          await waitForProperties(this.target.session, vm, ['runtime.powerState'], (values) => values['runtime.powerState'] === 'poweredOff', { timeoutMs: POWER_WATCH_MS });
          return;
        } catch (error) {
          if (!(error instanceof WaitTimeoutError)) {
            // A VM that is gone (destroyed) is as off as it gets.
            if (error instanceof VimFault && error.faultName === 'ManagedObjectNotFound') return;
            await new Promise((resolve) => setTimeout(resolve, 1_000));
          }
        }
      }
      await new Promise(() => {}); // released to a successor: never settles here
    })();
    return { poweredOff, stop: () => (stopped = true) };
  }

  /**
   * Destroying a VM deletes the disk files attached to it: the layer disks other containers share
   * and the volumes, which outlive their containers, are detached first (a remove without a file
   * operation).
   */
  private async detachSharedDisks(vm: MoRef): Promise<void> {
    const shared = [storePath(this.target, 'images/'), ...this.volumePlaces().map((place) => storePath(place, ''))];
    const disks = (await readDevices(this.target.session, vm)).filter(
      (device) => device.type === 'VirtualDisk' && shared.some((folder) => device.backing?.fileName?.startsWith(folder)),
    );
    if (disks.length === 0) return;
    await reconfigureVm(this.target.session, vm, { deviceChange: disks.map((device) => deviceConfigSpec('remove', existingDevice('VirtualDisk', device.key))) });
  }

  /**
   * A volume's VMDK in the volume folder, made from the volume store's freshly formatted disk the
   * first time a container mounts it; from then on the datastore's copy is the volume.
   */
  private async volumeVmdk(localDisk: string): Promise<string> {
    const { place, relative } = this.volumeLocation(localDisk);
    if (!(await storeFileExists(place, relative))) await uploadAsVmdk(place, localDisk, relative);
    return storePath(place, relative);
  }

  /** Where a volume's VMDK is (or will be): its volume store's folder, or the VCH folder's `volumes/`. */
  private volumeLocation(localDisk: string): PlacedVmdk {
    const store = (this.target.volumeStores ?? []).find((candidate) => localDisk.startsWith(`${candidate.localDir}/`));
    return { place: store ? this.storePlace(store) : this.defaultVolumePlace(), relative: volumeVmdkName(localDisk) };
  }

  async removeVolume(name: string): Promise<void> {
    const relative = volumeVmdkName(name);
    for (const place of this.volumePlaces()) {
      if (await storeFileExists(place, relative)) await deleteVirtualDisk(this.target.session, storePath(place, relative), this.target.datacenter);
    }
  }

  /** The datastore folders volumes may be in: each volume store's, and the VCH folder's `volumes/`. */
  private volumePlaces(): VsphereTarget[] {
    return [...(this.target.volumeStores ?? []).map((store) => this.storePlace(store)), this.defaultVolumePlace()];
  }

  /** The target seen from another datastore folder: the datastore-file helpers then address that folder. */
  private storePlace(store: VsphereVolumeStore): VsphereTarget {
    return { ...this.target, datastore: store.datastore, storeFolder: store.folder };
  }

  private defaultVolumePlace(): VsphereTarget {
    return { ...this.target, storeFolder: `${this.target.storeFolder}/volumes` };
  }

  private async findVm(containerId: string): Promise<MoRef | undefined> {
    return (await listPoolVms(this.target.session, this.target.pool)).find((vm) => vm.name === containerId)?.ref;
  }

  private async identityOf(vm: MoRef): Promise<{ token: string; channelPort: number }> {
    const { extraConfig, name } = await readVm(this.target.session, vm);
    const token = extraConfig[GUESTINFO_KEYS.token];
    const channelPort = Number(extraConfig[CHANNEL_PORT_KEY]);
    if (!token || !Number.isInteger(channelPort) || channelPort <= 0) throw new Error(`VM ${name} lacks its channel token or port in its extraConfig: not a vic container VM`);
    return { token, channelPort };
  }

  private async rememberChannelPort(vm: MoRef, port: number): Promise<void> {
    await reconfigureVm(this.target.session, vm, { extraConfig: { [CHANNEL_PORT_KEY]: String(port) } });
  }

  /** A layer's VMDK in the image store, uploaded by the first container that needs it. */
  private layerVmdk(layer: LayerDisk): Promise<string> {
    const relative = `images/${basename(dirname(layer.path))}.vmdk`;
    let upload = this.layerUploads.get(relative);
    if (!upload) {
      upload = (async () => {
        if (!(await storeFileExists(this.target, relative))) await uploadAsVmdk(this.target, layer.path, relative);
        return relative;
      })();
      upload.catch(() => this.layerUploads.delete(relative));
      this.layerUploads.set(relative, upload);
    }
    return upload;
  }

  /** The container's own disk: a copy, made on the datastore at its first start, of the image store's empty scratch disk. */
  private async writableVmdk(containerId: string): Promise<string> {
    const relative = `containers/${containerId}/rw.vmdk`;
    if (await storeFileExists(this.target, relative)) return relative;
    await ensureStoreFolder(this.target, `containers/${containerId}`);
    await copyVirtualDisk(this.target.session, { from: storePath(this.target, await this.scratchVmdk()), to: storePath(this.target, relative), datacenter: this.target.datacenter });
    return relative;
  }

  /**
   * An empty ext4 disk in the image store, uploaded once, that every container's disk starts as
   * (VIC kept such a "scratch" disk too). Its size is what a container may write: every byte of a
   * flat VMDK crosses the wire on upload, so it is kept small.
   */
  private scratchVmdk(): Promise<string> {
    this.scratchUpload ??= (async () => {
      const relative = 'images/scratch.vmdk';
      if (await storeFileExists(this.target, relative)) return relative;
      const work = await mkdtemp(join(tmpdir(), 'vic-scratch-'));
      try {
        await uploadAsVmdk(this.target, await createWritableDisk(work, SCRATCH_DISK_MIB), relative);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
      return relative;
    })();
    this.scratchUpload.catch(() => (this.scratchUpload = undefined));
    return this.scratchUpload;
  }
}
