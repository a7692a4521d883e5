import { clientHost } from '../host-address';
import type { VchLayout } from '../vch-layout';
import type { VsphereVch } from './vsphere-vch';

/**
 * The endpoint's --vsphere-* flags (apps/endpoint/src/main.ts). The endpoint runs on this machine,
 * so container VMs dial its channel listeners at the address it serves on.
 */
export function vsphereEndpointArgs(vch: VsphereVch, layout: VchLayout, host: string): string[] {
  return [
    '--vsphere-url', vch.sdkUrl,
    '--vsphere-credentials', layout.vsphereCredentials,
    ...(vch.thumbprint ? ['--vsphere-thumbprint', vch.thumbprint] : []),
    ...(vch.insecure ? ['--vsphere-insecure'] : []),
    '--vsphere-datacenter', vch.datacenter,
    '--vsphere-pool', `${vch.pool.type}:${vch.pool.value}`,
    '--vsphere-datastore', vch.datastore,
    '--vsphere-store-folder', vch.storeFolder,
    '--vsphere-channel-host', clientHost(host),
    ...(vch.bridgeNetwork ? ['--vsphere-bridge-network', vch.bridgeNetwork] : []),
    ...(vch.containerNetworks ?? []).flatMap((network) => ['--vsphere-container-network', JSON.stringify(network)]),
    ...vch.volumeStores.flatMap((store) => ['--vsphere-volume-store', JSON.stringify({ label: store.label, datastore: store.datastore, path: store.path })]),
  ];
}
