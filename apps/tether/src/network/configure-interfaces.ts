import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { InterfaceConfig } from '@vic/protocol';

/** The initramfs's busybox: its `ip` applet configures links before the tether enters the container's root. */
const BUSYBOX = '/bin/busybox';
const IP_TIMEOUT_MS = 10_000;

function ip(args: string[]): void {
  try {
    execFileSync(BUSYBOX, ['ip', ...args], { timeout: IP_TIMEOUT_MS, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`ip ${args.join(' ')}: ${stderr || (err as Error).message}`);
  }
}

/** The kernel's name for the link with this MAC address, e.g. eth1. */
export function linkByMac(mac: string, sysNet = '/sys/class/net'): string {
  const wanted = mac.toLowerCase();
  for (const name of readdirSync(sysNet)) {
    if (readFileSync(`${sysNet}/${name}/address`, 'utf8').trim().toLowerCase() === wanted) return name;
  }
  throw new Error(`no network interface has MAC address ${mac}`);
}

/** Brings up one interface as the host described it: addresses, MTU, and the default route if it has the gateway. */
export function configureInterface(config: InterfaceConfig): string {
  const link = linkByMac(config.mac);
  if (config.mtu) ip(['link', 'set', link, 'mtu', String(config.mtu)]);
  for (const address of config.addresses) ip(['addr', 'add', address, 'dev', link]);
  ip(['link', 'set', link, 'up']);
  if (config.gateway) ip(['route', 'replace', 'default', 'via', config.gateway, 'dev', link]);
  return link;
}

/** Loopback and every interface of the container's config. */
export function configureInterfaces(interfaces: InterfaceConfig[]): void {
  ip(['link', 'set', 'lo', 'up']);
  for (const config of interfaces) configureInterface(config);
}
