import type { Stats } from '@vic/protocol';

/** Parses /proc/net/dev; loopback traffic never leaves the container, so `lo` is left out. */
export function parseNetDev(netDev: string): Stats['network'] {
  const network: Stats['network'] = {};
  for (const line of netDev.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (name === 'lo' || fields.length < 16 || fields.some((value) => !Number.isFinite(value))) continue;
    // Receive: bytes packets errs drop fifo frame compressed multicast; then the same for transmit.
    const [rxBytes = 0, rxPackets = 0, rxErrors = 0] = fields;
    const [txBytes = 0, txPackets = 0, txErrors = 0] = fields.slice(8);
    network[name] = { rxBytes, rxPackets, txBytes, txPackets, rxErrors, txErrors };
  }
  return network;
}
