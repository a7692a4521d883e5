import type { Accel, DiskSpec, NicSpec, SharedDirSpec } from './vm-spec';
import { kernelCmdline } from './kernel-cmdline';

/** Where one VM's host-side endpoints live. */
export interface VmPaths {
  consoleLog: string;
  /** QEMU's stderr, for a VM that outlives the endpoint (otherwise it is piped). */
  stderrLog: string;
  channelSocket: string;
  qmpSocket: string;
}

export interface QemuArgsInput {
  name: string;
  kernel: string;
  initrd: string;
  append?: string;
  memoryMiB: number;
  cpus: number;
  disks: DiskSpec[];
  nics?: NicSpec[];
  sharedDirs?: SharedDirSpec[];
  accel: Accel;
  paths: VmPaths;
}

/** The virtio-serial port name the tether looks for in /sys/class/virtio-ports/<port>/name. */
export const TETHER_PORT_NAME = 'vic.tether';

/** virtio-blk passes at most this many bytes of the serial to the guest. */
export const MAX_DISK_SERIAL = 20;

/**
 * `-M pc`, not microvm: under TCG microvm hung in early boot in some runs while pc never did,
 * and pc was no slower (numbers in iso-build/README.md).
 */
export const MACHINE_TYPE = 'pc';

/** QEMU splits option values at commas; a literal comma is written twice. */
function optionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

function accelArgs(accel: Accel): string[] {
  return accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg', '-cpu', 'max'];
}

function diskArgs(disk: DiskSpec, index: number): string[] {
  if (!/^[A-Za-z0-9._-]+$/.test(disk.serial) || disk.serial.length > MAX_DISK_SERIAL) {
    throw new Error(`disk ${disk.path}: serial ${JSON.stringify(disk.serial)} must be 1-${MAX_DISK_SERIAL} characters of [A-Za-z0-9._-]`);
  }
  const drive = [
    `if=none`,
    `id=disk${index}`,
    `file=${optionValue(disk.path)}`,
    `format=${disk.format ?? 'raw'}`,
    `readonly=${disk.readOnly ? 'on' : 'off'}`,
  ];
  return ['-drive', drive.join(','), '-device', `virtio-blk-pci,drive=disk${index},serial=${disk.serial}`];
}

/** QEMU's user-mode network: the guest is 10.0.2.15, the host is reached as 10.0.2.2, its DNS relay is 10.0.2.3. */
export const USER_NETWORK = { subnet: '10.0.2.0/24', guest: '10.0.2.15', prefixLength: 24, host: '10.0.2.2', dns: '10.0.2.3' } as const;

function nicArgs(nic: NicSpec, index: number): string[] {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(nic.mac)) throw new Error(`NIC ${index}: MAC address ${JSON.stringify(nic.mac)} is malformed`);
  const { netdev: id, device } = nicIds(nic.mac);
  const netdev =
    nic.kind === 'multicast'
      ? // localaddr keeps the group's traffic on loopback: it never leaves the host.
        `socket,id=${id},mcast=${nic.group}:${nic.port},localaddr=127.0.0.1`
      : [`user,id=${id},net=${USER_NETWORK.subnet}`, ...nic.forwards.map((f) => `hostfwd=${f.protocol}:${f.hostIp}:${f.hostPort}-${USER_NETWORK.guest}:${f.guestPort}`)].join(',');
  return ['-netdev', netdev, '-device', `virtio-net-pci,id=${device},netdev=${id},mac=${nic.mac}`];
}

/** QEMU ids of a NIC's netdev and device, named by its MAC so a hot-unplug finds NICs made at boot too. */
export function nicIds(mac: string): { netdev: string; device: string } {
  const hex = mac.replaceAll(':', '').toLowerCase();
  return { netdev: `nd${hex}`, device: `nic${hex}` };
}

/**
 * virtiofsd reads the guest's memory directly, so with a shared directory the guest's RAM is a
 * shared memfd (one NUMA node backed by it) instead of QEMU's private memory.
 */
function sharedDirArgs(sharedDirs: SharedDirSpec[], memoryMiB: number): string[] {
  if (sharedDirs.length === 0) return [];
  return [
    '-object', `memory-backend-memfd,id=mem,size=${memoryMiB}M,share=on`,
    '-numa', 'node,memdev=mem',
    ...sharedDirs.flatMap((dir, index) => [
      '-chardev', `socket,id=fs${index},path=${optionValue(dir.socketPath)}`,
      '-device', `vhost-user-fs-pci,chardev=fs${index},tag=${optionValue(dir.tag)}`,
    ]),
  ];
}

/** The full argument vector for qemu-system-x86_64, minus the program name. */
export function qemuArgs(input: QemuArgsInput): string[] {
  const { paths } = input;
  return [
    '-name', optionValue(input.name),
    '-M', MACHINE_TYPE,
    ...accelArgs(input.accel),
    '-m', String(input.memoryMiB),
    '-smp', String(input.cpus),
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', input.kernel,
    '-initrd', input.initrd,
    '-append', kernelCmdline(input.append),
    '-chardev', `file,id=console,path=${optionValue(paths.consoleLog)}`,
    '-serial', 'chardev:console',
    '-device', 'virtio-serial-pci,id=vserial0',
    '-chardev', `socket,id=tether,path=${optionValue(paths.channelSocket)},server=on,wait=off`,
    '-device', `virtserialport,bus=vserial0.0,chardev=tether,name=${TETHER_PORT_NAME}`,
    '-chardev', `socket,id=qmp,path=${optionValue(paths.qmpSocket)},server=on,wait=off`,
    '-mon', 'chardev=qmp,mode=control',
    ...input.disks.flatMap(diskArgs),
    ...sharedDirArgs(input.sharedDirs ?? [], input.memoryMiB),
    ...(input.nics ?? []).flatMap(nicArgs),
  ];
}
