import type { Stats } from '@vic/protocol';

/** /proc/diskstats counts in 512-byte sectors whatever the device's block size. */
const SECTOR_BYTES = 512;

/** Whole virtio, SCSI and IDE disks; partitions and loop, ram and zram devices are left out. */
const WHOLE_DISK = /^(?:vd|sd|hd)[a-z]+$/;

export function parseDiskstats(diskstats: string): Stats['blockIo'] {
  const disks: Stats['blockIo'] = [];
  for (const line of diskstats.split('\n')) {
    // major minor name reads merged sectorsRead msReading writes merged sectorsWritten ...
    const [, , device, ...counters] = line.trim().split(/\s+/);
    if (device === undefined || !WHOLE_DISK.test(device) || counters.length < 7) continue;
    const [reads = 0, , sectorsRead = 0, , writes = 0, , sectorsWritten = 0] = counters.map(Number);
    disks.push({ device, readBytes: sectorsRead * SECTOR_BYTES, writeBytes: sectorsWritten * SECTOR_BYTES, reads, writes });
  }
  return disks;
}
