import type { MoRef, PowerState } from '@vic/vsphere';
import { pingEndpoint } from '../ping';
import { readVchConfig, vchExists } from '../vch-config';
import type { VchLayout } from '../vch-layout';
import type { ApplianceClient } from './appliance-power';

const STATUS_PING_TIMEOUT_MS = 3_000;

/**
 * The local folder of that name, when it is this vSphere VCH's (the docker client's certificates
 * and vch.json), and not a local VCH's or another VCH's that shares the name.
 */
export function localClient(layout: VchLayout, pool: MoRef): ApplianceClient | undefined {
  if (!vchExists(layout)) return undefined;
  const config = readVchConfig(layout);
  const { vsphere } = config;
  return vsphere !== undefined && vsphere.pool.type === pool.type && vsphere.pool.value === pool.value ? { config, layout } : undefined;
}

/**
 * The VCH's status from its appliance: stopped when powered off; when on, whether the endpoint
 * answers /_ping, which only a machine with the client certificates can check.
 */
export async function applianceStatus(power: PowerState, client: ApplianceClient | undefined): Promise<{ short: string; long: string }> {
  if (power !== 'poweredOn') return { short: 'stopped', long: `stopped (appliance VM ${power})` };
  if (client === undefined) return { short: 'powered on', long: 'appliance VM powered on (no client certificates on this machine to ask its endpoint)' };
  const ping = await pingEndpoint(client.config, client.layout, STATUS_PING_TIMEOUT_MS);
  return ping.ok ? { short: 'running', long: 'running (appliance VM powered on, its endpoint answers)' } : { short: 'not answering', long: `not answering (appliance VM powered on; /_ping: ${ping.reason})` };
}
