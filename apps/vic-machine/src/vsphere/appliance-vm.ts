import { cdrom, datastorePath, deviceConfigSpec, disk, fileSerialPort, nicBackingFor, pvscsiController, vmxnet3, type MoRef, type VimSession, type VmConfig } from '@vic/vsphere';

const APPLIANCE_CPUS = 1;
const APPLIANCE_MEMORY_MB = 2048;
/** The data disk holds the endpoint's state: images (their layer disks are built there first), containers, logs. */
const DATA_DISK_KB = 8 * 1024 * 1024;
const SCSI_CONTROLLER_KEY = -10;

export interface ApplianceVmSpec {
  readonly name: string;
  readonly datastore: string;
  /** The image store folder: appliance.iso is there, the VM's own files in `<storeFolder>/appliance/`. */
  readonly storeFolder: string;
  readonly publicNetwork: MoRef;
  readonly bridgeNetwork?: MoRef;
  /** The VCH record (vch-record.ts) and the appliance configuration (appliance-config.ts). */
  readonly extraConfig: Readonly<Record<string, string>>;
}

/** Where the appliance VM's files live, relative to the datastore. */
export const applianceFolder = (storeFolder: string): string => `${storeFolder}/appliance`;
/** The appliance's serial console, a file on the datastore (`vic-machine debug` shows its tail). */
export const applianceConsole = (storeFolder: string): string => `${applianceFolder(storeFolder)}/console.log`;
/** The appliance ISO in the image store, next to the bootstrap ISO. */
export const APPLIANCE_ISO = 'appliance.iso';

/**
 * The VCH's appliance VM as VIC made it: named after the VCH, in its vApp, booting the appliance
 * ISO from a CD-ROM, its console on serial port 0 kept as a file on the datastore, a blank data
 * disk at scsi0:0 on a PVSCSI controller (vSphere creates it with the VM; the appliance formats
 * it on first boot and keeps the endpoint's state there), a NIC on the public network first and
 * one on the bridge network second, and the VCH's record and appliance configuration in its
 * extraConfig.
 */
export async function applianceVmConfig(session: VimSession, spec: ApplianceVmSpec): Promise<VmConfig> {
  const folder = applianceFolder(spec.storeFolder);
  const networks = [spec.publicNetwork, ...(spec.bridgeNetwork === undefined ? [] : [spec.bridgeNetwork])];
  const nics = await Promise.all(networks.map(async (network, index) => deviceConfigSpec('add', vmxnet3({ key: -40 - index, backing: await nicBackingFor(session, network) }))));
  return {
    name: spec.name,
    guestId: 'otherGuest64',
    vmPathName: datastorePath(spec.datastore, `${folder}/${spec.name}.vmx`),
    numCPUs: APPLIANCE_CPUS,
    memoryMB: APPLIANCE_MEMORY_MB,
    deviceChange: [
      deviceConfigSpec('add', cdrom({ key: -1, isoPath: datastorePath(spec.datastore, `${spec.storeFolder}/${APPLIANCE_ISO}`) })),
      deviceConfigSpec('add', fileSerialPort({ key: -2, path: datastorePath(spec.datastore, applianceConsole(spec.storeFolder)) })),
      deviceConfigSpec('add', pvscsiController(SCSI_CONTROLLER_KEY)),
      deviceConfigSpec(
        'add',
        disk({ key: -20, path: datastorePath(spec.datastore, `${folder}/data.vmdk`), controllerKey: SCSI_CONTROLLER_KEY, unitNumber: 0, capacityKb: DATA_DISK_KB, thin: true }),
        'create',
      ),
      ...nics,
    ],
    extraConfig: spec.extraConfig,
  };
}
