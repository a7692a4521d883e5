import { VicMachineError } from '../errors';
import { formatAddress, formatSubnet, parseAddress, parseSubnet } from '@vic/endpoint/networks/ipv4';

/** A vSphere portgroup offered to containers as a Docker network (VIC's --container-network). */
export interface ContainerNetwork {
  readonly portgroup: string;
  /** The Docker network's name. */
  readonly alias: string;
  /** The portgroup's IP network, from its gateway: "10.99.0.0/24". */
  readonly subnet: string;
  readonly gateway: string;
  /** The part of the subnet container addresses come from (--container-network-ip-range); the whole subnet otherwise. */
  readonly ipRange?: string;
}

const ALIAS = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** "portgroup:value", split at the last colon (portgroup names may hold one, IPv4 values do not). */
function portgroupAndValue(flag: string, text: string, example: string): [string, string] {
  const colon = text.lastIndexOf(':');
  if (colon < 1 || colon === text.length - 1) throw new VicMachineError(`--${flag} ${JSON.stringify(text)}: expected ${example}`);
  return [text.slice(0, colon), text.slice(colon + 1)];
}

/** "10.99.0.1/24" -> the gateway and its subnet. */
function parseGateway(portgroup: string, text: string): { gateway: string; subnet: string } {
  const [address, prefixText] = text.split('/');
  const value = parseAddress(address ?? '');
  const prefix = Number(prefixText);
  if (value === null || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    throw new VicMachineError(`--container-network-gateway ${portgroup}:${text}: expected the gateway's address and the network's prefix, e.g. ${portgroup}:10.99.0.1/24`);
  }
  return { gateway: address!, subnet: formatSubnet(parseSubnet(`${formatAddress(value)}/${prefix}`)!) };
}

/**
 * VIC's --container-network portgroup:alias, with --container-network-gateway portgroup:gw/prefix
 * (required: vic has no DHCP for container networks) and --container-network-ip-range
 * portgroup:CIDR (optional), matched by portgroup.
 */
export function parseContainerNetworks(networks: readonly string[], gateways: readonly string[], ipRanges: readonly string[]): ContainerNetwork[] {
  const byPortgroup = (flag: string, texts: readonly string[], example: string) => new Map(texts.map((text) => portgroupAndValue(flag, text, example)));
  const gatewayOf = byPortgroup('container-network-gateway', gateways, 'portgroup:gateway/prefix, e.g. vm-net:10.99.0.1/24');
  const rangeOf = byPortgroup('container-network-ip-range', ipRanges, 'portgroup:CIDR, e.g. vm-net:10.99.0.128/25');
  const parsed = networks.map((text) => {
    const [portgroup, alias] = portgroupAndValue('container-network', text, 'portgroup:alias, e.g. vm-net:public');
    if (!ALIAS.test(alias)) throw new VicMachineError(`--container-network ${text}: the alias ${JSON.stringify(alias)} is not a valid network name ([A-Za-z0-9][A-Za-z0-9_.-]*)`);
    const gateway = gatewayOf.get(portgroup);
    if (gateway === undefined) throw new VicMachineError(`--container-network ${text}: give its --container-network-gateway ${portgroup}:GATEWAY/PREFIX (vic has no DHCP for container networks)`);
    const ipRange = rangeOf.get(portgroup);
    return { portgroup, alias, ...parseGateway(portgroup, gateway), ...(ipRange === undefined ? {} : { ipRange }) };
  });
  for (const [portgroup] of [...gatewayOf, ...rangeOf]) {
    if (!parsed.some((network) => network.portgroup === portgroup)) throw new VicMachineError(`--container-network-gateway/--container-network-ip-range name ${portgroup}, which no --container-network names`);
  }
  const aliases = new Set<string>();
  for (const network of parsed) {
    if (aliases.has(network.alias)) throw new VicMachineError(`--container-network: the alias ${network.alias} is given twice`);
    aliases.add(network.alias);
  }
  return parsed;
}
