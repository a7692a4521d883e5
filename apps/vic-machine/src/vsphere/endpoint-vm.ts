import { datastorePath, deviceConfigSpec, nicBackingFor, vmxnet3, type MoRef, type VimSession, type VmConfig } from '@vic/vsphere';

const ENDPOINT_CPUS = 1;
const ENDPOINT_MEMORY_MB = 2048;

export interface EndpointVmSpec {
  readonly name: string;
  readonly datastore: string;
  /** The VM's files go in `<storeFolder>/appliance/`. */
  readonly storeFolder: string;
  readonly publicNetwork: MoRef;
  readonly bridgeNetwork?: MoRef;
  /** The VCH record (vch-record.ts). */
  readonly extraConfig: Readonly<Record<string, string>>;
}

/** Where the endpoint VM's files live, relative to the datastore. */
export const applianceFolder = (storeFolder: string): string => `${storeFolder}/appliance`;

/**
 * The VCH's endpoint VM as VIC made it: named after the VCH, in its vApp, a NIC on the public
 * network and one on the bridge network, and the VCH's configuration in its extraConfig. It has no
 * CD-ROM yet: the appliance ISO (kernel + initramfs running the endpoint) is not built, so the VM
 * stays powered off and the endpoint runs on this machine (see the README).
 */
export async function endpointVmConfig(session: VimSession, spec: EndpointVmSpec): Promise<VmConfig> {
  const networks = [spec.publicNetwork, ...(spec.bridgeNetwork === undefined ? [] : [spec.bridgeNetwork])];
  const nics = await Promise.all(networks.map(async (network, index) => deviceConfigSpec('add', vmxnet3({ key: -1 - index, backing: await nicBackingFor(session, network) }))));
  return {
    name: spec.name,
    guestId: 'otherGuest64',
    vmPathName: datastorePath(spec.datastore, `${applianceFolder(spec.storeFolder)}/${spec.name}.vmx`),
    numCPUs: ENDPOINT_CPUS,
    memoryMB: ENDPOINT_MEMORY_MB,
    deviceChange: nics,
    extraConfig: spec.extraConfig,
  };
}
