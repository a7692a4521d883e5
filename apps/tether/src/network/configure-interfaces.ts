import { execFileSync } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InterfaceConfig } from '@vic/protocol';

/** The initramfs's busybox: its `ip` applet configures links (the container's image may have no `ip`). */
let busybox = '/bin/busybox';
const IP_TIMEOUT_MS = 10_000;
/** How long a hot-plugged NIC may take to show up in the guest. */
const LINK_WAIT_MS = 15_000;

/**
 * Keeps the initramfs's busybox reachable once the tether has chrooted into the container: an open
 * descriptor of the initramfs root, reached through /proc/<pid>/fd, leads out of the chroot.
 * Called just before the chroot.
 */
export function keepBusyboxAcrossChroot(): void {
  const root = openSync('/', 'r');
  busybox = `/proc/${process.pid}/fd/${root}/bin/busybox`;
}

function ip(args: string[]): void {
  try {
    execFileSync(busybox, ['ip', ...args], { timeout: IP_TIMEOUT_MS, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`ip ${args.join(' ')}: ${stderr || (err as Error).message}`);
  }
}

/** The kernel's name for the link with this MAC address, e.g. eth1; undefined while there is none. */
export function findLinkByMac(mac: string, sysNet = '/sys/class/net'): string | undefined {
  const wanted = mac.toLowerCase();
  return readdirSync(sysNet).find((name) => readFileSync(`${sysNet}/${name}/address`, 'utf8').trim().toLowerCase() === wanted);
}

function linkByMac(mac: string): string {
  const link = findLinkByMac(mac);
  if (!link) throw new Error(`no network interface has MAC address ${mac}`);
  return link;
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

/** Configures an interface that was hot-plugged into the running VM, once the guest has it. */
export async function configureHotplugged(config: InterfaceConfig): Promise<string> {
  const deadline = Date.now() + LINK_WAIT_MS;
  while (!findLinkByMac(config.mac)) {
    if (Date.now() > deadline) throw new Error(`no network interface with MAC address ${config.mac} appeared within ${LINK_WAIT_MS} ms`);
    await sleep(100);
  }
  return configureInterface(config);
}

/** Loopback and every interface of the container's config. */
export function configureInterfaces(interfaces: InterfaceConfig[]): void {
  ip(['link', 'set', 'lo', 'up']);
  for (const config of interfaces) configureInterface(config);
}
