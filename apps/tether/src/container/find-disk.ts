import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A disk named as vSphere names a device slot, "scsi<controller>:<unit>": vSphere disks carry no
 * serial the guest can read (without disk.EnableUUID), but their slot is fixed by the VM's config.
 */
const SCSI_SLOT = /^scsi(\d+):(\d+)$/;

/**
 * Finds the block device the host attached as `serial`: a virtio disk by its serial (the local
 * backend), or a SCSI disk by its slot, "scsi0:3" (the vSphere backend).
 */
export async function findDiskBySerial(serial: string, timeoutMs = 10_000, sysBlock = '/sys/block'): Promise<string> {
  const slot = SCSI_SLOT.exec(serial);
  const find = slot ? () => findScsiDisk(Number(slot[1]), Number(slot[2]), sysBlock) : () => findVirtioDisk(serial, sysBlock);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const device = find();
    if (device && existsSync(device)) return device;
    if (Date.now() > deadline) throw new Error(`no disk ${slot ? 'in slot' : 'with serial'} ${serial} appeared within ${timeoutMs} ms`);
    await sleep(20);
  }
}

function blockDevices(sysBlock: string): string[] {
  return existsSync(sysBlock) ? readdirSync(sysBlock) : [];
}

function findVirtioDisk(serial: string, sysBlock: string): string | null {
  for (const dev of blockDevices(sysBlock)) {
    const serialFile = `${sysBlock}/${dev}/serial`;
    if (existsSync(serialFile) && readFileSync(serialFile, 'utf8').trim() === serial) return `/dev/${dev}`;
  }
  return null;
}

/**
 * The SCSI disk at target `unit`, LUN 0, of the `controller`-th SCSI host (hosts in the order the
 * kernel numbered them, which follows the controllers' PCI order, as vSphere's bus numbers do).
 */
function findScsiDisk(controller: number, unit: number, sysBlock: string): string | null {
  const disks = blockDevices(sysBlock)
    .filter((dev) => dev.startsWith('sd'))
    .map((dev) => ({ dev, address: basename(readlinkSync(`${sysBlock}/${dev}/device`)).split(':').map(Number) }))
    .filter(({ address }) => address.length === 4);
  const hosts = [...new Set(disks.map(({ address }) => address[0]!))].sort((a, b) => a - b);
  const host = hosts[controller];
  const found = disks.find(({ address: [h, , target, lun] }) => h === host && target === unit && lun === 0);
  return found ? `/dev/${found.dev}` : null;
}
