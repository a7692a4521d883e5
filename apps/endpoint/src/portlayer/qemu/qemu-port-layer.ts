import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerVmHandle, ContainerVmRequest, LayerDisk, PortLayer, SessionAdopter, VmMount } from '../port-layer';
import { createWritableDisk, WRITABLE_DISK_FILE } from '../writable-disk';
import { adoptContainerVm, startContainerVm, type ContainerVm } from './container-vm';
import { withHostRootfs } from '../host-rootfs';
import { plugSegmentNic, unplugSegmentNic } from './nic-hotplug';
import { vmNetworking } from './vm-networking';

export interface QemuPortLayerOptions {
  /** The bootstrap ISO container VMs boot. */
  iso: string;
  /** One directory per container: its VM files and writable disk. */
  workRoot: string;
  /**
   * VMs keep running when the endpoint process ends (crash, upgrade, restart), and the next
   * endpoint adopts them, as VIC's container VMs outlived their appliance. Off, they die with it.
   */
  vmsOutliveEndpoint?: boolean;
}

/** The embedded backend: each container VM is a QEMU process on this machine. */
export class QemuPortLayer implements PortLayer {
  readonly backend = 'local QEMU';
  private readonly running = new Map<string, ContainerVm>();

  constructor(private readonly options: QemuPortLayerOptions) {}

  async powerOn(request: ContainerVmRequest): Promise<ContainerVmHandle> {
    const dir = this.containerDir(request.containerId);
    const writable = await this.writableDisk(request.containerId);
    const networking = vmNetworking(request);
    const vm = await startContainerVm({
      containerId: request.containerId,
      iso: this.options.iso,
      layers: request.layers,
      writable: { path: writable, fstype: 'ext4' },
      config: networking.config,
      nics: networking.nics,
      workDir: dir,
      ...(request.memoryMiB ? { memoryMiB: request.memoryMiB } : {}),
      ...(request.cpus ? { cpus: request.cpus } : {}),
      ...(request.mounts ? { mounts: request.mounts } : {}),
      ...(this.options.vmsOutliveEndpoint ? { outlive: true } : {}),
    });
    return this.track(request.containerId, vm);
  }

  async adopt(containerId: string, adoptSession: SessionAdopter): Promise<ContainerVmHandle | null> {
    const adopted = await adoptContainerVm(containerId, this.containerDir(containerId), adoptSession);
    return adopted && this.track(containerId, adopted);
  }

  releaseAll(): void {
    for (const vm of this.running.values()) vm.release();
    this.running.clear();
  }

  private track(containerId: string, vm: ContainerVm): ContainerVmHandle {
    this.running.set(containerId, vm);
    const forget = () => {
      if (this.running.get(containerId) === vm) this.running.delete(containerId);
    };
    void vm.vm.exited.then(forget);
    return {
      client: vm.client,
      poweredOff: vm.vm.exited.then(() => undefined),
      powerOff: () => vm.stop(),
      plugSegment: (nic) => plugSegmentNic(vm.vm, nic),
      unplugSegment: (mac) => unplugSegmentNic(vm.vm, mac),
    };
  }

  async withContainerFilesystem<T>(containerId: string, layers: LayerDisk[], use: (root: string) => Promise<T>, mounts: VmMount[] = []): Promise<T> {
    if (this.running.has(containerId)) throw new Error(`container ${containerId} has a VM running; its disk cannot be mounted on the host`);
    return withHostRootfs(layers, await this.writableDisk(containerId), use, mounts);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.running.get(containerId)?.stop();
    await rm(this.containerDir(containerId), { recursive: true, force: true });
  }

  /** VMs here use the volume store's own disk files: there is no copy to drop. */
  async removeVolume(): Promise<void> {}

  async powerOffAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((vm) => vm.stop()));
  }

  /** The container's writable disk, made on first use (its first start, or a copy into it before that). */
  private async writableDisk(containerId: string): Promise<string> {
    const dir = this.containerDir(containerId);
    await mkdir(dir, { recursive: true });
    return existsSync(join(dir, WRITABLE_DISK_FILE)) ? join(dir, WRITABLE_DISK_FILE) : createWritableDisk(dir);
  }

  /**
   * Named by the short ID, because QEMU's channel socket lives here and a unix socket path may
   * not exceed 108 bytes.
   */
  private containerDir(containerId: string): string {
    return join(this.options.workRoot, containerId.slice(0, 12));
  }
}
