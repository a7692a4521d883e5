import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig, DiskRef, MountSpec } from '@vic/protocol';
import { unixSocketDialer } from '../../tether-bridge/channel-dialer';
import { TetherClient, type TetherClientOptions } from '../../tether-bridge/tether-client';
import type { LayerDisk, VmMount } from '../port-layer';
import { extractBootMedia } from './boot-media';
import { QemuVm } from './qemu-vm';
import { removeDaemonLeftovers, VirtiofsDaemon } from './virtiofs-daemon';
import type { DiskSpec, NicSpec, SharedDirSpec } from './vm-spec';
import { readLiveVmIdentity, writeVmIdentity } from './vm-identity';

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
  /** Volumes and bind mounts, parents before children; host directories need `workDir` for their sockets. */
  mounts?: VmMount[];
  /** From QEMU start to the tether's handshake. */
  bootTimeoutMs?: number;
  /** The VM keeps running when the endpoint ends, for a restarted endpoint to adopt (needs workDir). */
  outlive?: boolean;
}

export interface ContainerVm {
  vm: QemuVm;
  client: TetherClient;
  /** Drops the channel and ends the VM (QMP quit, then SIGKILL). */
  stop(): Promise<void>;
  /** Drops the channel and lets go of the VM, which keeps running for a later endpoint to adopt. */
  release(): void;
}

function containerVm(vm: QemuVm, client: TetherClient, daemons: VirtiofsDaemon[] = []): ContainerVm {
  return {
    vm,
    client,
    async stop() {
      client.disconnect();
      await vm.stop();
      await Promise.all(daemons.map((daemon) => daemon.stop()));
    },
    release() {
      client.handOver();
      vm.release();
      for (const daemon of daemons) daemon.release();
    },
  };
}

/** The virtiofsd sockets (and their notes) a VM's work folder holds: `fs<N>.sock`. */
function daemonSockets(workDir: string): string[] {
  const names = readdirSync(workDir).flatMap((name) => /^(fs\d+\.sock)(\.view|\.log)?$/.exec(name)?.[1] ?? []);
  return [...new Set(names)].map((name) => join(workDir, name));
}

/** How long a VM that is already up may take to answer the handshake. */
const ADOPT_TIMEOUT_MS = 15_000;

/**
 * Takes over the container VM that a previous endpoint started with `outlive` in `workDir`, if it
 * still runs: reconnects QMP and the tether channel (which resends what the old endpoint had not
 * consumed). Null when it is gone.
 */
export async function adoptContainerVm(
  containerId: string,
  workDir: string,
  adoptSession: NonNullable<TetherClientOptions['adoptSession']>,
): Promise<ContainerVm | null> {
  const identity = readLiveVmIdentity(workDir);
  if (!identity) return null;
  const vm = await QemuVm.adopt(containerId, workDir, identity);
  // Its virtiofsd processes serve on and end with it; what they leave is removed then.
  const sockets = daemonSockets(workDir);
  void vm.exited.then(() => removeDaemonLeftovers(sockets)).catch((error: Error) => console.error(`container ${containerId}: removing virtiofsd leftovers: ${error.message}`));
  try {
    const client = await TetherClient.connect({ channel: unixSocketDialer(vm.channelPath), containerId, token: identity.token, connectTimeoutMs: ADOPT_TIMEOUT_MS, adoptSession });
    return containerVm(vm, client);
  } catch (err) {
    vm.release();
    throw new Error(`container ${containerId}: cannot take over its running VM: ${(err as Error).message}`);
  }
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
async function startDaemons(plan: MountPlan, outlive: boolean): Promise<VirtiofsDaemon[]> {
  const daemons: VirtiofsDaemon[] = [];
  try {
    for (const share of plan.shares) daemons.push(await VirtiofsDaemon.start(share.source, share.dir.socketPath, share.readOnly, outlive));
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
  const daemons = await startDaemons(mounts, spec.outlive === true);
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
      ...(spec.nics ? { nics: spec.nics } : {}),
      workDir: spec.workDir,
      ...(spec.outlive ? { outlive: true } : {}),
    });
  } catch (error) {
    await stopDaemons();
    throw error;
  }
  // virtiofsd serves this VM only: it goes when the VM goes, however the VM ends. Nobody awaits
  // this path, so a failure (a read-only view that will not unmount) goes to the endpoint's log.
  void vm.exited.then(stopDaemons).catch((error: Error) => console.error(`container ${spec.containerId}: stopping virtiofsd: ${error.message}`));
  try {
    if (spec.outlive && spec.workDir) await writeVmIdentity(spec.workDir, vm.pid, token);
    const client = await TetherClient.connect({
      channel: unixSocketDialer(vm.channelPath),
      containerId: spec.containerId,
      token,
      connectTimeoutMs: spec.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS,
    });
    await client.configure({ ...spec.config, rootfs: { layers: layerRefs, ...(writable && { writable }) }, ...(mounts.specs.length > 0 ? { mounts: mounts.specs } : {}) });
    return containerVm(vm, client, daemons);
  } catch (err) {
    const console = await vm.readConsole().catch(() => '');
    await vm.kill();
    await stopDaemons();
    throw new Error(`container ${spec.containerId} did not come up: ${(err as Error).message}\n--- console ---\n${console.slice(-3000)}`);
  }
}
