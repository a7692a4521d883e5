/**
 * How a container VM learns, before any frame flows, who it is and where its channel to the host
 * is. The local backend puts `vic.id=` and `vic.token=` on the kernel command line and serves the
 * channel on a virtio-serial port. A VM that boots the ISO unchanged, as vSphere boots it, has
 * none of that: its identity comes from its guestinfo (extraConfig) and its channel is a serial
 * port (a vSphere network serial port) named there.
 */

/** The guestinfo keys of a container VM booted from the unchanged ISO. */
export const GUESTINFO_KEYS = {
  containerId: 'guestinfo.vic.id',
  token: 'guestinfo.vic.token',
  /** The serial device the channel is on, e.g. /dev/ttyS1. */
  channelDevice: 'guestinfo.vic.channel',
} as const;

/**
 * Where a QEMU stand-in for an ESX host hands the guest its guestinfo: a fw_cfg file of
 * `key=value` lines (ESX itself answers guestinfo over the VMware backdoor).
 */
export const FW_CFG_GUESTINFO = 'opt/vic/guestinfo';

/** Renders guestinfo entries as the fw_cfg file's lines. */
export function renderGuestInfo(entries: Record<string, string>): string {
  return Object.entries(entries)
    .map(([key, value]) => {
      if (/[=\n]/.test(key) || value.includes('\n')) throw new Error(`guestinfo entry ${JSON.stringify(key)} cannot hold '=' in its key or a newline`);
      return `${key}=${value}\n`;
    })
    .join('');
}

export function parseGuestInfo(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) entries.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return entries;
}
