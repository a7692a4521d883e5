import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { say } from './console';

const run = promisify(execFile);

/** The endpoint's state lives here, on the data disk, so images and containers survive a reboot. */
export const DATA_MOUNT = '/var/lib/vic';
const DATA_LABEL = 'vic-data';
/** The PVSCSI controller and the kernel's SCSI scan come up a little after the module loads. */
const DISK_WAIT_MS = 30_000;
const MKFS_TIMEOUT_MS = 5 * 60_000;
const MOUNT_TIMEOUT_MS = 60_000;
/**
 * vSphere powers an appliance off as one pulls a plug. The endpoint's records must be on the disk
 * by then, not in the page cache: the journal commits every second and dirty data is written back
 * after a second (the kernel's defaults are 5 s and 30 s).
 */
const COMMIT_SECONDS = 1;
const WRITEBACK_CENTISECS = '100';
/** ext4's superblock starts 1024 bytes in; its magic is 56 bytes into it. */
const EXT4_MAGIC_OFFSET = 1024 + 56;

/**
 * Mounts the data disk (scsi0:0) at DATA_MOUNT, formatting it first if it holds no file system
 * yet: vic-machine creates it blank.
 */
export async function mountDataDisk(): Promise<void> {
  if (isMounted(DATA_MOUNT)) return;
  const device = await waitForDisk(0, 0);
  if (Number(readFileSync(`/sys/block/${basename(device)}/size`, 'utf8')) === 0) throw new Error(`the data disk ${device} (scsi0:0) has no capacity (0 bytes)`);
  if (!hasExt4(device)) {
    say(`formatting the data disk ${device} (scsi0:0) as ext4, label ${DATA_LABEL}`);
    await run('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', DATA_LABEL, device], { timeout: MKFS_TIMEOUT_MS }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`cannot format the data disk ${device}: ${(error.stderr ?? error.message).trim()}`);
    });
  }
  mkdirSync(DATA_MOUNT, { recursive: true });
  writeFileSync('/proc/sys/vm/dirty_expire_centisecs', WRITEBACK_CENTISECS);
  writeFileSync('/proc/sys/vm/dirty_writeback_centisecs', WRITEBACK_CENTISECS);
  await run('mount', ['-t', 'ext4', '-o', `commit=${COMMIT_SECONDS}`, device, DATA_MOUNT], { timeout: MOUNT_TIMEOUT_MS }).catch((error: Error & { stderr?: string }) => {
    throw new Error(`cannot mount the data disk ${device} at ${DATA_MOUNT}: ${(error.stderr ?? error.message).trim()}`);
  });
  say(`data disk ${device} mounted at ${DATA_MOUNT}`);
}

function isMounted(path: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((line) => line.split(' ')[1] === path);
}

function hasExt4(device: string): boolean {
  const magic = Buffer.alloc(2);
  const fd = openSync(device, 'r');
  try {
    readSync(fd, magic, 0, 2, EXT4_MAGIC_OFFSET);
  } finally {
    closeSync(fd);
  }
  return magic.readUInt16LE(0) === 0xef53;
}

/**
 * The disk in vSphere's slot scsi<controller>:<unit>: target `unit`, LUN 0, of the controller-th
 * SCSI host in the kernel's order (which follows the controllers' PCI order, as vSphere's bus
 * numbers do). A vSphere disk carries no serial the guest can read, but its slot is fixed.
 */
async function waitForDisk(controller: number, unit: number): Promise<string> {
  const deadline = Date.now() + DISK_WAIT_MS;
  for (;;) {
    const disks = readdirSync('/sys/block')
      .filter((dev) => dev.startsWith('sd'))
      .map((dev) => ({ dev, address: basename(readlinkSync(`/sys/block/${dev}/device`)).split(':').map(Number) }))
      .filter(({ address }) => address.length === 4);
    const hosts = [...new Set(disks.map(({ address }) => address[0]!))].sort((a, b) => a - b);
    const found = disks.find(({ address: [host, , target, lun] }) => host === hosts[controller] && target === unit && lun === 0);
    if (found && existsSync(`/dev/${found.dev}`)) return `/dev/${found.dev}`;
    if (Date.now() > deadline) {
      const seen = disks.map(({ dev, address }) => `${dev} at ${address.join(':')}`).join(', ') || 'no SCSI disks';
      throw new Error(`no data disk at scsi${controller}:${unit} appeared within ${DISK_WAIT_MS / 1000} s (${seen}): the appliance VM needs a disk on its PVSCSI controller, unit ${unit}`);
    }
    await sleep(200);
  }
}
