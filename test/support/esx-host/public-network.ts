import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/*
 * The harness's physical network: the wire the VCH appliance's public NIC is cabled to, which in a
 * real lab also reaches the admin's workstation (the docker CLI), vCenter and the ESX hosts' own
 * addresses. On this host it is a Linux bridge that plays the physical switch, with the host's
 * address on it playing every machine outside vSphere at once: the docker CLI and the tests, vcsim
 * (it listens on that address, so the appliance reaches the same SDK and datastore URL vic-machine
 * used), and the QEMU processes behind container VMs' network serial ports, which dial the
 * appliance's channel listeners from the ESX host as ESX's serial ports do. Each VM NIC on the
 * portgroup the test names as public gets a tap device on the bridge: the host side of its cable.
 *
 * A bridge rather than one tap, because a tap has one owner: every VM on the public portgroup (an
 * appliance, a container VM given that portgroup) needs its own port on the switch.
 */

/** Linux limits interface names to 15 characters; a third octet keeps them unique and short. */
const NAME_PREFIX = 'vicpub';
const IP_TIMEOUT_MS = 10_000;

export interface PublicNetworkSpec {
  /** The portgroup whose VM NICs are cabled to this network, e.g. "VM Network". */
  portgroup: string;
  /** The network is 192.168.<subnet>.0/24; the host is .1. Pick one no other test uses. */
  subnet: number;
}

function ip(...args: string[]): void {
  try {
    execFileSync('ip', args, { timeout: IP_TIMEOUT_MS, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export class PublicNetwork {
  private readonly taps: string[] = [];
  private removed = false;

  private constructor(
    readonly portgroup: string,
    /** The bridge: the switch. */
    readonly bridge: string,
    /** The host's address on the network, e.g. 192.168.77.1. */
    readonly hostAddress: string,
    /** The network's prefix, e.g. 192.168.77 (addresses .2-.254 are free for VMs). */
    readonly prefix: string,
  ) {}

  /**
   * Creates the bridge with the host's address on it. A bridge of the same name left by a killed
   * run is removed first, with its taps.
   */
  static create(spec: PublicNetworkSpec): PublicNetwork {
    if (!Number.isInteger(spec.subnet) || spec.subnet < 1 || spec.subnet > 254) throw new Error(`public network subnet ${spec.subnet} is not 1-254`);
    const bridge = `${NAME_PREFIX}${spec.subnet}`;
    const prefix = `192.168.${spec.subnet}`;
    const network = new PublicNetwork(spec.portgroup, bridge, `${prefix}.1`, prefix);
    network.removeLeftovers();
    ip('link', 'add', 'name', bridge, 'type', 'bridge', 'forward_delay', '0');
    try {
      ip('addr', 'add', `${prefix}.1/24`, 'dev', bridge);
      ip('link', 'set', bridge, 'up');
    } catch (error) {
      network.remove();
      throw error;
    }
    return network;
  }

  /** A new tap on the switch for one VM NIC: QEMU opens it with `-netdev tap,ifname=NAME,script=no,downscript=no`. */
  attach(): string {
    if (this.removed) throw new Error(`public network ${this.bridge} was removed`);
    let index = 0;
    while (linkExists(`${this.bridge}t${index}`)) index += 1;
    const tap = `${this.bridge}t${index}`;
    ip('tuntap', 'add', tap, 'mode', 'tap');
    this.taps.push(tap);
    ip('link', 'set', tap, 'master', this.bridge);
    ip('link', 'set', tap, 'up');
    return tap;
  }

  /** Deletes a tap once its VM is gone. */
  detach(tap: string): void {
    const at = this.taps.indexOf(tap);
    if (at >= 0) this.taps.splice(at, 1);
    if (linkExists(tap)) ip('link', 'del', tap);
  }

  /** Deletes every tap and the bridge; safe to call again. */
  remove(): void {
    this.removed = true;
    for (const tap of [...this.taps]) this.detach(tap);
    this.removeLeftovers();
  }

  private removeLeftovers(): void {
    for (const name of readdirSync('/sys/class/net')) if (name.startsWith(`${this.bridge}t`)) ip('link', 'del', name);
    if (linkExists(this.bridge)) ip('link', 'del', this.bridge);
  }
}
