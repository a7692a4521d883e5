import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ContainerConfig, DiskRef, MountSpec } from '@vic/protocol';
import { TetherClient } from '../../tether-bridge/tether-client';
import type { LayerDisk, VmMount } from '../port-layer';
import { extractBootMedia } from './boot-media';
import { QemuVm } from './qemu-vm';
import { VirtiofsDaemon } from './virtiofs-daemon';
import type { DiskSpec, SharedDirSpec } from './vm-spec';

export interface ContainerVmSpec {
  containerId: string;
  /** The bootstrap ISO whose kernel and initramfs the VM boots. */
  iso: string;
  /** Read-only image layers, lowest first. */
  layers: LayerDisk[];
  /** The container's own disk for its writes; memory when absent. */
  writable?: LayerDisk;
  config: Omit<ContainerConfig, 'rootfs'>;
  memoryMiB?: number;
  cpus?: number;
  workDir?: string;
  /** Volumes and bind mounts, parents before children; host directories need `workDir` for their sockets. */
  mounts?: VmMount[];
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

/** What the guest and QEMU need for the container's mounts: disks, shared directories, and what the tether mounts where. */
interface MountPlan {
  disks: DiskSpec[];
  shares: { source: string; readOnly: boolean; dir: SharedDirSpec }[];
  specs: MountSpec[];
}

function planMounts(mounts: VmMount[], workDir: string | undefined): MountPlan {
  const plan: MountPlan = { disks: [], shares: [], specs: [] };
  for (const [index, mount] of mounts.entries()) {
    if (mount.kind === 'disk') {
      const serial = `vol${index}`;
      plan.disks.push({ path: mount.path, readOnly: false, serial });
      plan.specs.push({ kind: 'disk', serial, fstype: 'ext4', target: mount.target, readOnly: mount.readOnly, copyImageContent: mount.copyImageContent });
      continue;
    }
    if (!workDir) throw new Error(`sharing ${mount.source} needs the VM's workDir for virtiofsd's socket`);
    const tag = `vicfs${index}`;
    plan.shares.push({ source: mount.source, readOnly: mount.readOnly, dir: { tag, socketPath: join(workDir, `fs${index}.sock`) } });
    plan.specs.push({ kind: 'virtiofs', tag, target: mount.target, readOnly: mount.readOnly });
  }
  return plan;
}

/** Starts one virtiofsd per shared directory; on a failure the ones already started are stopped. */
async function startDaemons(plan: MountPlan): Promise<VirtiofsDaemon[]> {
  const daemons: VirtiofsDaemon[] = [];
  try {
    for (const share of plan.shares) daemons.push(await VirtiofsDaemon.start(share.source, share.dir.socketPath, share.readOnly));
  } catch (error) {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    throw error;
  }
  return daemons;
}

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
  const mounts = planMounts(spec.mounts ?? [], spec.workDir);
  const daemons = await startDaemons(mounts);
  const stopDaemons = () => Promise.all(daemons.map((daemon) => daemon.stop()));
  let vm: QemuVm;
  try {
    vm = await QemuVm.start({
      name: spec.containerId,
      kernel: media.kernel,
      initrd: media.initrd,
      append: `vic.id=${spec.containerId} vic.token=${token}`,
      memoryMiB: spec.memoryMiB,
      cpus: spec.cpus,
      disks: [...disks, ...mounts.disks],
      sharedDirs: mounts.shares.map((share) => share.dir),
      workDir: spec.workDir,
    });
  } catch (error) {
    await stopDaemons();
    throw error;
  }
  // virtiofsd serves this VM only: it goes when the VM goes, however the VM ends. Nobody awaits
  // this path, so a failure (a read-only view that will not unmount) goes to the endpoint's log.
  void vm.exited.then(stopDaemons).catch((error: Error) => console.error(`container ${spec.containerId}: stopping virtiofsd: ${error.message}`));
  try {
    const client = await TetherClient.connect({
      socketPath: vm.channelPath,
      containerId: spec.containerId,
      token,
      connectTimeoutMs: spec.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS,
    });
    await client.configure({ ...spec.config, rootfs: { layers: layerRefs, ...(writable && { writable }) }, ...(mounts.specs.length > 0 ? { mounts: mounts.specs } : {}) });
    return {
      vm,
      client,
      async stop() {
        client.disconnect();
        await vm.stop();
        await stopDaemons();
      },
    };
  } catch (err) {
    const console = await vm.readConsole().catch(() => '');
    await vm.kill();
    await stopDaemons();
    throw new Error(`container ${spec.containerId} did not come up: ${(err as Error).message}\n--- console ---\n${console.slice(-3000)}`);
  }
}
