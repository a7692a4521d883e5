import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Finds the block device the host attached with this virtio serial. */
export async function findDiskBySerial(serial: string, timeoutMs = 10_000, sysBlock = '/sys/block'): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const dev of existsSync(sysBlock) ? readdirSync(sysBlock) : []) {
      const serialFile = `${sysBlock}/${dev}/serial`;
      if (existsSync(serialFile) && readFileSync(serialFile, 'utf8').trim() === serial && existsSync(`/dev/${dev}`)) {
        return `/dev/${dev}`;
      }
    }
    if (Date.now() > deadline) throw new Error(`no disk with serial ${serial} appeared within ${timeoutMs} ms`);
    await sleep(20);
  }
}
