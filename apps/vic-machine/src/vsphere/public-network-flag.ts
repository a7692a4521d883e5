import type { ApplianceConfig } from '@vic/protocol';
import { VicMachineError } from '../errors';
import { contains, formatAddress, formatSubnet, parseAddress, parseSubnet, size } from '@vic/endpoint/networks/ipv4';

/** The appliance's static address on the public network (VIC's --public-network-ip/-gateway, --dns-server). */
export type PublicNetworkAddress = ApplianceConfig['network'] & {
  /** The address alone, where docker and the container VMs reach the appliance. */
  readonly ip: string;
};

export interface PublicNetworkFlagValues {
  readonly 'public-network-ip'?: string;
  readonly 'public-network-gateway'?: string;
  readonly 'dns-server'?: readonly string[];
}

/**
 * The public network flags, checked together. The appliance needs a static address: vic has no
 * DHCP client on the public network, and vic-machine must know where docker will reach the VCH.
 */
export function parsePublicNetwork(values: PublicNetworkFlagValues): PublicNetworkAddress {
  const cidr = values['public-network-ip'];
  if (cidr === undefined) {
    throw new VicMachineError('the VCH appliance needs a static address on the public network (vic has no DHCP there): give --public-network-ip ADDRESS/PREFIX, e.g. 192.168.20.5/24');
  }
  const [ipText, prefixText, extra] = cidr.split('/');
  const ip = parseAddress(ipText ?? '');
  const prefix = Number(prefixText);
  if (ip === null || extra !== undefined || prefixText === undefined || !/^\d+$/.test(prefixText) || prefix < 1 || prefix > 30) {
    throw new VicMachineError(`--public-network-ip ${JSON.stringify(cidr)}: expected an IPv4 address with the network's prefix length (1-30), e.g. 192.168.20.5/24`);
  }
  const network = parseSubnet(`${formatAddress(ip)}/${prefix}`)!;
  const broadcast = network.base + size(network) - 1;
  const subnet = formatSubnet(network);
  if (ip === network.base || ip === broadcast) {
    throw new VicMachineError(`--public-network-ip ${cidr}: ${ipText} is the ${ip === network.base ? 'network' : 'broadcast'} address of ${subnet}, not one a host can have`);
  }

  const gatewayText = values['public-network-gateway'];
  if (gatewayText !== undefined) {
    const gateway = parseAddress(gatewayText);
    if (gateway === null) throw new VicMachineError(`--public-network-gateway ${JSON.stringify(gatewayText)} is not an IPv4 address`);
    if (!contains(network, gateway) || gateway === network.base || gateway === broadcast) {
      throw new VicMachineError(`--public-network-gateway ${gatewayText} is not a host of the public network ${subnet} (--public-network-ip ${cidr}): the appliance could not reach it`);
    }
    if (gateway === ip) throw new VicMachineError(`--public-network-gateway ${gatewayText} is the appliance's own address (--public-network-ip ${cidr})`);
  }

  const dns = values['dns-server'] ?? [];
  const badDns = dns.find((server) => parseAddress(server) === null);
  if (badDns !== undefined) throw new VicMachineError(`--dns-server ${JSON.stringify(badDns)} is not an IPv4 address`);

  return {
    address: `${formatAddress(ip)}/${prefix}`,
    ip: formatAddress(ip),
    ...(gatewayText === undefined ? {} : { gateway: gatewayText }),
    ...(dns.length === 0 ? {} : { dns: [...dns] }),
  };
}
