/** IPv4 addresses as 32-bit unsigned numbers, and CIDR subnets over them. */

export interface Subnet {
  /** The network address (host bits zero). */
  base: number;
  prefix: number;
}

export function parseAddress(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatAddress(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "a.b.c.d/n"; null when malformed. Host bits are kept out: "10.1.2.3/16" is 10.1.0.0/16. */
export function parseSubnet(text: string): Subnet | null {
  const [address, prefixText, extra] = text.split('/');
  if (extra !== undefined || prefixText === undefined || !/^\d{1,2}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const n = parseAddress(address ?? '');
  if (n === null || prefix > 32) return null;
  return { base: (n & mask(prefix)) >>> 0, prefix };
}

export function formatSubnet(subnet: Subnet): string {
  return `${formatAddress(subnet.base)}/${subnet.prefix}`;
}

export function size(subnet: Subnet): number {
  return 2 ** (32 - subnet.prefix);
}

export function contains(subnet: Subnet, address: number): boolean {
  return ((address & mask(subnet.prefix)) >>> 0) === subnet.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return contains(a, b.base) || contains(b, a.base);
}

/** The n-th subnet of `prefix` bits inside `pool`, e.g. the 2nd /16 of 172.16.0.0/12 is 172.17.0.0/16. */
export function nthSubnet(pool: Subnet, prefix: number, n: number): Subnet | null {
  const count = 2 ** (prefix - pool.prefix);
  if (prefix < pool.prefix || n >= count) return null;
  return { base: pool.base + n * 2 ** (32 - prefix), prefix };
}
