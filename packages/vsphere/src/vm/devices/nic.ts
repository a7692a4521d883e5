import { toSoapMoRef, type MoRef } from '../../soap/moref.js';
import { vimObject } from '../../soap/xsi.js';
import { connectInfo } from './device-config-spec.js';

/** Where a NIC plugs in: a standard portgroup (by name and Network ref) or a distributed portgroup. */
export type NicBacking =
  | { readonly kind: 'network'; readonly network: MoRef; readonly name: string }
  | { readonly kind: 'distributed'; readonly switchUuid: string; readonly portgroupKey: string };

export interface NicDevice {
  readonly key: number;
  readonly backing: NicBacking;
  /** A fixed MAC; otherwise vSphere generates one. */
  readonly macAddress?: string;
}

/** VirtualVmxnet3 (VirtualDevice fields, then VirtualEthernetCard's addressType and macAddress). */
export function vmxnet3(device: NicDevice): object {
  return vimObject('VirtualVmxnet3', {
    key: device.key,
    backing: nicBacking(device.backing),
    connectable: connectInfo(true),
    addressType: device.macAddress === undefined ? 'generated' : 'manual',
    ...(device.macAddress === undefined ? {} : { macAddress: device.macAddress }),
  });
}

function nicBacking(backing: NicBacking): object {
  if (backing.kind === 'network') {
    return vimObject('VirtualEthernetCardNetworkBackingInfo', { deviceName: backing.name, network: toSoapMoRef(backing.network) });
  }
  return vimObject('VirtualEthernetCardDistributedVirtualPortBackingInfo', {
    port: vimObject('DistributedVirtualSwitchPortConnection', { switchUuid: backing.switchUuid, portgroupKey: backing.portgroupKey }),
  });
}
