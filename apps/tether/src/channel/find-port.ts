import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The name the host gives the tether's virtio-serial port. */
export const TETHER_PORT_NAME = 'vic.tether';

/** Finds /dev/vportNpM for a named virtio-serial port, waiting for udev-less devtmpfs to catch up. */
export async function findVirtioPort(name: string, timeoutMs: number, sysDir = '/sys/class/virtio-ports'): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(sysDir)) {
      for (const port of readdirSync(sysDir)) {
        const nameFile = `${sysDir}/${port}/name`;
        if (existsSync(nameFile) && readFileSync(nameFile, 'utf8').trim() === name && existsSync(`/dev/${port}`)) {
          return `/dev/${port}`;
        }
      }
    }
    if (Date.now() > deadline) throw new Error(`no virtio-serial port named ${name} after ${timeoutMs} ms`);
    await sleep(20);
  }
}
