import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { log } from '../log';

/** Where Docker's embedded DNS answers inside a container. */
export const EMBEDDED_DNS_ADDRESS = '127.0.0.11';
const DNS_PORT = 53;
const UPSTREAM_TIMEOUT_MS = 5_000;
const TTL_SECONDS = 600;

/** name (lower case) -> IPv4 addresses, from /etc/hosts-style lines ("ip name alias..."). */
export function namesFromHosts(lines: string[]): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const line of lines) {
    const [address, ...aliases] = line.trim().split(/\s+/);
    if (!address || !/^\d+\.\d+\.\d+\.\d+$/.test(address)) continue;
    for (const alias of aliases) {
      const key = alias.toLowerCase();
      names.set(key, [...(names.get(key) ?? []), address]);
    }
  }
  return names;
}

/**
 * The container's own resolver, as dockerd's embedded DNS: A queries for the names of containers
 * on its networks are answered from the endpoint's list, anything else goes to the upstream
 * server unchanged and its answer comes back unchanged.
 */
export class EmbeddedDns {
  private names = new Map<string, string[]>();

  private constructor(
    private readonly socket: Socket,
    private readonly upstream: string[],
  ) {
    socket.on('message', (message, peer) => this.answer(message, peer));
  }

  static start(upstream: string[], hosts: string[]): Promise<EmbeddedDns> {
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(DNS_PORT, EMBEDDED_DNS_ADDRESS, () => {
        socket.off('error', reject);
        socket.on('error', (err) => log(`embedded DNS: ${err.message}`));
        const dns = new EmbeddedDns(socket, upstream);
        dns.setHosts(hosts);
        resolve(dns);
      });
    });
  }

  setHosts(lines: string[]): void {
    this.names = namesFromHosts(lines);
  }

  private answer(message: Buffer, peer: RemoteInfo): void {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch (err) {
      log(`embedded DNS: dropped an undecodable query from ${peer.address}: ${(err as Error).message}`);
      return;
    }
    const question = query.questions?.[0];
    const addresses = question && this.names.get(question.name.toLowerCase());
    if (!question || !addresses) {
      this.forward(message, peer);
      return;
    }
    const answers = question.type === 'A' ? addresses.map((data) => ({ type: 'A' as const, name: question.name, ttl: TTL_SECONDS, data })) : [];
    const reply = dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER, questions: [question], answers });
    this.socket.send(reply, peer.port, peer.address);
  }

  /** One socket per forwarded query: the upstream's answer goes back to the asker as it came. */
  private forward(message: Buffer, peer: RemoteInfo): void {
    const server = this.upstream[0];
    if (!server) return;
    const relay = createSocket('udp4');
    const timer = setTimeout(() => relay.close(), UPSTREAM_TIMEOUT_MS);
    relay.on('error', (err) => {
      log(`embedded DNS: upstream ${server}: ${err.message}`);
      clearTimeout(timer);
      relay.close();
    });
    relay.on('message', (reply) => {
      clearTimeout(timer);
      relay.close();
      this.socket.send(reply, peer.port, peer.address);
    });
    relay.send(message, DNS_PORT, server);
  }
}
