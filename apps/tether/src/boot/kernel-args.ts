import { existsSync, readFileSync } from 'node:fs';
import { FW_CFG_GUESTINFO, GUESTINFO_KEYS, parseGuestInfo } from '@vic/protocol';
import { TETHER_PORT_NAME } from '../channel/find-port';

/** Where the tether's channel to the host is. */
export type ChannelLocation = { kind: 'virtio'; portName: string } | { kind: 'serial'; device: string };

/** The container's identity and channel token, and where the channel is. */
export interface BootArgs {
  containerId: string;
  token: string;
  channel: ChannelLocation;
}

const FW_CFG_DIR = '/sys/firmware/qemu_fw_cfg/by_name';

export function parseKernelArgs(cmdline: string): Map<string, string> {
  const args = new Map<string, string>();
  for (const word of cmdline.trim().split(/\s+/)) {
    const eq = word.indexOf('=');
    if (eq > 0) args.set(word.slice(0, eq), word.slice(eq + 1));
  }
  return args;
}

/**
 * The kernel command line's `vic.id=`/`vic.token=` (the local backend boots the kernel directly
 * and adds them), else the VM's guestinfo (a VM that booted the ISO unchanged, as on vSphere).
 */
export function readBootArgs(cmdlinePath = '/proc/cmdline', fwCfgDir = FW_CFG_DIR): BootArgs {
  const args = parseKernelArgs(readFileSync(cmdlinePath, 'utf8'));
  const containerId = args.get('vic.id');
  const token = args.get('vic.token');
  if (containerId && token) return { containerId, token, channel: { kind: 'virtio', portName: TETHER_PORT_NAME } };
  const guestInfoFile = `${fwCfgDir}/${FW_CFG_GUESTINFO}/raw`;
  if (!existsSync(guestInfoFile)) throw new Error('the kernel command line lacks vic.id= and vic.token=, and the VM has no guestinfo');
  const info = parseGuestInfo(readFileSync(guestInfoFile, 'utf8'));
  const fromInfo = (key: string) => {
    const value = info.get(key);
    if (!value) throw new Error(`the VM's guestinfo lacks ${key}`);
    return value;
  };
  return {
    containerId: fromInfo(GUESTINFO_KEYS.containerId),
    token: fromInfo(GUESTINFO_KEYS.token),
    channel: { kind: 'serial', device: fromInfo(GUESTINFO_KEYS.channelDevice) },
  };
}
