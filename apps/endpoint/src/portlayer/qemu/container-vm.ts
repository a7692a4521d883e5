import { randomBytes } from 'node:crypto';
import type { ContainerConfig, DiskRef } from '@vic/protocol';
import { TetherClient } from '../../tether-bridge/tether-client';
import type { LayerDisk } from '../port-layer';
import { extractBootMedia } from './boot-media';
import { QemuVm } from './qemu-vm';
import type { DiskSpec, NicSpec } from './vm-spec';

export interface ContainerVmSpec {
  containerId: string;
  /** The bootstrap ISO whose kernel and initramfs the VM boots. */
  iso: string;
  /** Read-only image layers, lowest first. */
  layers: LayerDisk[];
  /** The container's own disk for its writes; memory when absent. */
  writable?: LayerDisk;
  config: Omit<ContainerConfig, 'rootfs'>;
  nics?: NicSpec[];
  memoryMiB?: number;
  cpus?: number;
  workDir?: string;
  /** From QEMU start to the tether's handshake. */
  bootTimeoutMs?: number;
}

export interface ContainerVm {
  vm: QemuVm;
  client: TetherClient;
  /** Drops the channel and ends the VM (QMP quit, then SIGKILL). */
  stop(): Promise<void>;
}

const DEFAULT_BOOT_TIMEOUT_MS = 60_000;

/**
 * Boots a container VM: kernel and initramfs from the ISO, image layers and the writable layer as
 * virtio disks, identity and channel token on the kernel command line. Resolves once the tether
 * has accepted the token and mounted the container's root.
 */
export async function startContainerVm(spec: ContainerVmSpec): Promise<ContainerVm> {
  const media = await extractBootMedia(spec.iso);
  const token = randomBytes(16).toString('hex');
  const layerRefs: DiskRef[] = spec.layers.map((layer, i) => ({ serial: `layer${i}`, fstype: layer.fstype }));
  const disks: DiskSpec[] = spec.layers.map((layer, i) => ({ path: layer.path, readOnly: true, serial: layerRefs[i]!.serial }));
  const writable: DiskRef | undefined = spec.writable && { serial: 'rw', fstype: spec.writable.fstype };
  if (spec.writable) disks.push({ path: spec.writable.path, readOnly: false, serial: 'rw' });
  const vm = await QemuVm.start({
    name: spec.containerId,
    kernel: media.kernel,
    initrd: media.initrd,
    append: `vic.id=${spec.containerId} vic.token=${token}`,
    memoryMiB: spec.memoryMiB,
    cpus: spec.cpus,
    disks,
    ...(spec.nics ? { nics: spec.nics } : {}),
    workDir: spec.workDir,
  });
  try {
    const client = await TetherClient.connect({
      socketPath: vm.channelPath,
      containerId: spec.containerId,
      token,
      connectTimeoutMs: spec.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS,
    });
    await client.configure({ ...spec.config, rootfs: { layers: layerRefs, ...(writable && { writable }) } });
    return {
      vm,
      client,
      async stop() {
        client.disconnect();
        await vm.stop();
      },
    };
  } catch (err) {
    const console = await vm.readConsole().catch(() => '');
    await vm.kill();
    throw new Error(`container ${spec.containerId} did not come up: ${(err as Error).message}\n--- console ---\n${console.slice(-3000)}`);
  }
}
