import { spawnSync } from 'node:child_process';
import type { ChannelLocation } from '../boot/kernel-args';
import { findVirtioPort } from './find-port';
import { PortChannel } from './port-channel';

const FIND_PORT_TIMEOUT_MS = 10_000;
const STTY_TIMEOUT_MS = 5_000;

/**
 * Opens the channel to the host where the boot arguments say it is: a virtio-serial port by name,
 * or a serial tty (a vSphere network serial port), which is first put in raw mode so the line
 * discipline passes every byte through untouched.
 */
export async function openChannel(location: ChannelLocation): Promise<{ channel: PortChannel; path: string }> {
  const path = location.kind === 'virtio' ? await findVirtioPort(location.portName, FIND_PORT_TIMEOUT_MS) : location.device;
  if (location.kind === 'serial') makeRaw(path);
  return { channel: await PortChannel.open(path), path };
}

/** busybox stty from the initramfs: Node has no termios of its own. */
function makeRaw(device: string): void {
  const stty = spawnSync('/bin/stty', ['-F', device, 'raw', '-echo'], { encoding: 'utf8', timeout: STTY_TIMEOUT_MS });
  if (stty.status !== 0) throw new Error(`cannot put ${device} in raw mode: ${stty.error?.message ?? stty.stderr.trim()}`);
}
