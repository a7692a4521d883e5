import { mkdirSync, writeFileSync } from 'node:fs';
import type { ContainerConfig, DiskRef } from '@vic/protocol';
import { configureInterfaces, keepBusyboxAcrossChroot } from '../network/configure-interfaces';
import { native } from '../sys/native';
import { findDiskBySerial } from './find-disk';
import { renderHosts, renderResolvConf } from './host-files';
import { mountVolumes } from './mount-volumes';

/** Where the container's root is assembled before the tether moves into it. */
export const CONTAINER_ROOT = '/container';
const LAYERS_DIR = '/.vic/layers';
const WRITABLE_DIR = '/.vic/rw';

async function mountDisk(disk: DiskRef, target: string, readOnly: boolean): Promise<void> {
  const device = await findDiskBySerial(disk.serial);
  mkdirSync(target, { recursive: true });
  native.mount(device, target, disk.fstype, readOnly ? native.MS_RDONLY : 0, '');
}

/**
 * Builds the container's root: read-only image layers under an overlay whose upper layer is the
 * container's own disk (or memory), so the image itself is never written.
 */
async function mountOverlay(config: ContainerConfig): Promise<void> {
  const lower: string[] = [];
  for (const [index, layer] of config.rootfs.layers.entries()) {
    const target = `${LAYERS_DIR}/${index}`;
    await mountDisk(layer, target, true);
    lower.unshift(target); // overlayfs lists the top layer first
  }
  if (lower.length === 0) throw new Error('container config has no root filesystem layer');
  if (config.rootfs.writable) await mountDisk(config.rootfs.writable, WRITABLE_DIR, false);
  else {
    mkdirSync(WRITABLE_DIR, { recursive: true });
    native.mount('tmpfs', WRITABLE_DIR, 'tmpfs', 0, 'mode=0755');
  }
  mkdirSync(`${WRITABLE_DIR}/upper`, { recursive: true });
  mkdirSync(`${WRITABLE_DIR}/work`, { recursive: true });
  mkdirSync(CONTAINER_ROOT, { recursive: true });
  native.mount('overlay', CONTAINER_ROOT, 'overlay', 0, `lowerdir=${lower.join(':')},upperdir=${WRITABLE_DIR}/upper,workdir=${WRITABLE_DIR}/work`);
}

/** The kernel file systems a container expects, as Docker gives them. */
function mountContainerSpecials(): void {
  const specials: [string, string, string, number, string][] = [
    ['proc', '/proc', 'proc', native.MS_NOSUID | native.MS_NODEV | native.MS_NOEXEC, ''],
    ['sysfs', '/sys', 'sysfs', native.MS_NOSUID | native.MS_NODEV | native.MS_NOEXEC | native.MS_RDONLY, ''],
    // Writable: the tether (in the same root) freezes the container's cgroup for docker pause.
    ['cgroup2', '/sys/fs/cgroup', 'cgroup2', native.MS_NOSUID | native.MS_NODEV | native.MS_NOEXEC, ''],
    ['devtmpfs', '/dev', 'devtmpfs', native.MS_NOSUID, ''],
    ['devpts', '/dev/pts', 'devpts', native.MS_NOSUID | native.MS_NOEXEC, 'newinstance,gid=5,mode=620,ptmxmode=666'],
    ['shm', '/dev/shm', 'tmpfs', native.MS_NOSUID | native.MS_NODEV | native.MS_NOEXEC, 'mode=1777,size=65536k'],
  ];
  for (const [source, target, fstype, flags, data] of specials) {
    mkdirSync(CONTAINER_ROOT + target, { recursive: true });
    native.mount(source, CONTAINER_ROOT + target, fstype, flags, data);
  }
}

function writeIdentityFiles(config: ContainerConfig): void {
  mkdirSync(`${CONTAINER_ROOT}/etc`, { recursive: true });
  writeFileSync(`${CONTAINER_ROOT}/etc/hostname`, `${config.hostname}\n`);
  writeFileSync(`${CONTAINER_ROOT}/etc/hosts`, renderHosts(config));
  const resolv = renderResolvConf(config);
  if (resolv !== null) writeFileSync(`${CONTAINER_ROOT}/etc/resolv.conf`, resolv);
  native.sethostname(config.hostname);
  if (config.domainName) native.setdomainname(config.domainName);
}

/** Mounts the container's root, then makes it the tether's own root: sessions start inside it. */
export async function enterContainerRoot(config: ContainerConfig): Promise<void> {
  await mountOverlay(config);
  configureInterfaces(config.networks ?? []);
  await mountVolumes(CONTAINER_ROOT, config.mounts ?? []);
  mountContainerSpecials();
  writeIdentityFiles(config);
  mkdirSync(`${CONTAINER_ROOT}/tmp`, { recursive: true, mode: 0o1777 });
  keepBusyboxAcrossChroot();
  native.chroot(CONTAINER_ROOT);
}
