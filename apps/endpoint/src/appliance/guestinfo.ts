import { existsSync, readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { posix } from 'node:path';
import { APPLIANCE_GUESTINFO_KEY, FW_CFG_GUESTINFO, parseGuestInfo, type ApplianceConfig } from '@vic/protocol';

/**
 * Where the guest reads its guestinfo. ESX answers guestinfo over the VMware backdoor; the
 * harness's QEMU stand-in for ESX hands the same entries over as a fw_cfg file, which is what a
 * container VM's tether reads too (packages/protocol/src/boot-identity.ts).
 */
const FW_CFG_FILE = `/sys/firmware/qemu_fw_cfg/by_name/${FW_CFG_GUESTINFO}/raw`;
/** Every file the configuration names lives here. */
export const CONFIG_ROOT = '/etc/vic';

/** The appliance's configuration, or why there is none that can be used. */
export function readApplianceConfig(file = FW_CFG_FILE): ApplianceConfig {
  if (!existsSync(file)) throw new Error(`the VM has no guestinfo (${file} is missing): it must be created by vic-machine`);
  const text = parseGuestInfo(readFileSync(file, 'utf8')).get(APPLIANCE_GUESTINFO_KEY);
  if (!text) throw new Error(`the VM's guestinfo lacks ${APPLIANCE_GUESTINFO_KEY}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${APPLIANCE_GUESTINFO_KEY} is not JSON: ${(error as Error).message}`);
  }
  return checkApplianceConfig(parsed);
}

/** The configuration's shape, checked field by field, so a bad one is named before anything changes. */
export function checkApplianceConfig(value: unknown): ApplianceConfig {
  const bad = (what: string): never => {
    throw new Error(`${APPLIANCE_GUESTINFO_KEY}: ${what}`);
  };
  if (!isObject(value)) return bad('is not a JSON object');
  const { network, files, endpointArgs } = value;
  if (!isObject(network)) return bad('network is missing');
  const { address, gateway, dns } = network;
  if (typeof address !== 'string' || !isCidr(address)) return bad(`network.address ${JSON.stringify(address)} is not an IPv4 address with a prefix length (e.g. 192.168.20.5/24)`);
  if (gateway !== undefined && (typeof gateway !== 'string' || !isIPv4(gateway))) return bad(`network.gateway ${JSON.stringify(gateway)} is not an IPv4 address`);
  if (dns !== undefined && (!Array.isArray(dns) || !dns.every((server) => typeof server === 'string' && isIPv4(server)))) return bad(`network.dns ${JSON.stringify(dns)} is not a list of IPv4 addresses`);
  if (!isObject(files)) return bad('files is missing');
  for (const [path, content] of Object.entries(files)) {
    if (posix.normalize(path) !== path || !path.startsWith(`${CONFIG_ROOT}/`)) bad(`files: ${JSON.stringify(path)} is not a normalized absolute path under ${CONFIG_ROOT}`);
    if (typeof content !== 'string') bad(`files: the content of ${path} is not a string`);
  }
  if (!Array.isArray(endpointArgs) || !endpointArgs.every((arg) => typeof arg === 'string')) return bad('endpointArgs is not a list of strings');
  return {
    network: { address, ...(gateway === undefined ? {} : { gateway }), ...(dns === undefined ? {} : { dns: dns as string[] }) },
    files: files as Record<string, string>,
    endpointArgs: endpointArgs as string[],
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCidr(text: string): boolean {
  const [address, prefix, extra] = text.split('/');
  return extra === undefined && address !== undefined && isIPv4(address) && prefix !== undefined && /^\d{1,2}$/.test(prefix) && Number(prefix) <= 32;
}
