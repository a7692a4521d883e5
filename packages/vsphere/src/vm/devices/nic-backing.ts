import { retrieveOne } from '../../property/retrieve-properties.js';
import type { VimSession } from '../../session/vim-session.js';
import type { MoRef } from '../../soap/moref.js';
import type { NicBacking } from './nic.js';

/**
 * The NIC backing for a network found in the inventory: a standard portgroup is named, a distributed
 * portgroup is addressed by its switch's UUID and its key (both read from vSphere).
 */
export async function nicBackingFor(session: VimSession, network: MoRef): Promise<NicBacking> {
  if (network.type === 'Network') {
    const { props } = await retrieveOne(session, network, ['name']);
    return { kind: 'network', network, name: String(props.name) };
  }
  if (network.type !== 'DistributedVirtualPortgroup') {
    throw new TypeError(`a NIC cannot be connected to a ${network.type} (${network.value})`);
  }
  const { props } = await retrieveOne(session, network, ['key', 'config.distributedVirtualSwitch']);
  const dvs = props['config.distributedVirtualSwitch'] as MoRef | undefined;
  if (dvs === undefined) throw new Error(`distributed portgroup ${network.value} has no switch`);
  const { props: switchProps } = await retrieveOne(session, dvs, ['uuid']);
  return { kind: 'distributed', switchUuid: String(switchProps.uuid), portgroupKey: String(props.key) };
}
