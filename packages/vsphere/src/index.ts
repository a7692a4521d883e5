// The vim25 client: sessions, inventory, properties, tasks, compute, VMs, datastores and disks.
export type { MoRef } from './soap/moref.js';
export { moref, sameMoRef } from './soap/moref.js';
export { VimFault } from './soap/vim-fault.js';
export { VimRequestError } from './soap/vim-request-error.js';
export type { VimData } from './soap/any-value.js';

export { VimSession, type SessionOptions } from './session/vim-session.js';
export { SERVICE_INSTANCE, type ServiceContent, type AboutInfo } from './session/service-content.js';
export { normalizeThumbprint, type CertificatePolicy } from './session/certificate-policy.js';
export { UntrustedCertificateError } from './session/untrusted-certificate-error.js';

export { findByInventoryPath, requireByInventoryPath } from './inventory/find-by-path.js';
export { listChildren, type NamedObject } from './inventory/children.js';
export { destroyEntity } from './inventory/destroy-entity.js';

export { retrieveProperties, retrieveOne, type ObjectProperties } from './property/retrieve-properties.js';
export { waitForProperties, WaitTimeoutError, type PropertyValues } from './property/property-watcher.js';

export { awaitTask, runTask, TaskTimeoutError, type AwaitTaskOptions } from './tasks/await-task.js';
export type { TaskInfo, TaskState } from './tasks/task-info.js';

export type { ResourceAllocation, ResourceConfig, Shares } from './compute/resource-allocation.js';
export { createResourcePool, createVApp, updateResourceConfig, readResourceConfig, type PoolAllocation } from './compute/resource-pools.js';
export { listPoolVms, type PoolVm } from './compute/pool-vms.js';

export { createVm, reconfigureVm, powerOnVm, powerOffVm, destroyVm, readVm, type PowerState, type VmState } from './vm/virtual-machines.js';
export { vmConfigSpec, type VmConfig } from './vm/vm-config-spec.js';
export { deviceConfigSpec, existingDevice, type DeviceOperation } from './vm/devices/device-config-spec.js';
export { readDevices, readHardware, type VirtualDeviceInfo, type DeviceBackingInfo, type VmHardware } from './vm/read-devices.js';
export { cdrom, IDE0_KEY, type CdromDevice } from './vm/devices/cdrom.js';
export { disk, type DiskDevice, type DiskMode } from './vm/devices/disk.js';
export { vmxnet3, type NicDevice, type NicBacking } from './vm/devices/nic.js';
export { nicBackingFor } from './vm/devices/nic-backing.js';
export { networkSerialPort, type SerialPortDevice } from './vm/devices/serial-port.js';
export { fileSerialPort, type FileSerialPortDevice } from './vm/devices/file-serial-port.js';
export { pvscsiController } from './vm/devices/scsi-controller.js';

export { datastorePath, parseDatastorePath, type ParsedDatastorePath } from './datastore/datastore-path.js';
export { makeDirectory, deleteDatastoreFile, moveDatastoreFile } from './datastore/file-manager.js';
export { uploadFile, downloadFile, folderUrl, DatastoreTransferError, type DatastoreFile } from './datastore/datastore-http.js';

export { createVirtualDisk, copyVirtualDisk, deleteVirtualDisk, type NewDisk, type VirtualDiskType } from './disks/virtual-disks.js';
