import type { VimSession } from '../session/vim-session.js';
import { toSoapMoRef, type MoRef } from '../soap/moref.js';
import { vimObject } from '../soap/xsi.js';
import { runTask, type AwaitTaskOptions } from '../tasks/await-task.js';

export type VirtualDiskType = 'thin' | 'preallocated' | 'eagerZeroedThick';
export type DiskAdapterType = 'lsiLogic' | 'busLogic' | 'ide';

export interface NewDisk {
  /** Datastore path of the .vmdk, "[ds] vic/layers/abc.vmdk". */
  readonly path: string;
  readonly capacityKb: number;
  readonly diskType?: VirtualDiskType;
  readonly adapterType?: DiskAdapterType;
  readonly datacenter?: MoRef;
}

/** FileBackedVirtualDiskSpec (diskType, adapterType, capacityKb). */
function diskSpec(disk: Pick<NewDisk, 'diskType' | 'adapterType'> & { readonly capacityKb?: number }): object {
  return vimObject('FileBackedVirtualDiskSpec', {
    diskType: disk.diskType ?? 'thin',
    adapterType: disk.adapterType ?? 'lsiLogic',
    ...(disk.capacityKb === undefined ? {} : { capacityKb: disk.capacityKb }),
  });
}

const datacenterArg = (name: string, datacenter: MoRef | undefined): object =>
  datacenter === undefined ? {} : { [name]: toSoapMoRef(datacenter) };

/** VirtualDiskManager.CreateVirtualDisk_Task. */
export async function createVirtualDisk(session: VimSession, disk: NewDisk, options?: AwaitTaskOptions): Promise<void> {
  await runTask(
    session,
    'CreateVirtualDisk_Task',
    session.serviceContent.virtualDiskManager,
    { name: disk.path, ...datacenterArg('datacenter', disk.datacenter), spec: diskSpec(disk) },
    options,
  );
}

/** VirtualDiskManager.CopyVirtualDisk_Task; `force` overwrites an existing destination. */
export async function copyVirtualDisk(
  session: VimSession,
  copy: { readonly from: string; readonly to: string; readonly datacenter?: MoRef; readonly force?: boolean },
  options?: AwaitTaskOptions,
): Promise<void> {
  await runTask(
    session,
    'CopyVirtualDisk_Task',
    session.serviceContent.virtualDiskManager,
    {
      sourceName: copy.from,
      ...datacenterArg('sourceDatacenter', copy.datacenter),
      destName: copy.to,
      ...datacenterArg('destDatacenter', copy.datacenter),
      force: copy.force ?? false,
    },
    options,
  );
}

/** VirtualDiskManager.DeleteVirtualDisk_Task (the descriptor and its extents). */
export async function deleteVirtualDisk(session: VimSession, path: string, datacenter?: MoRef, options?: AwaitTaskOptions): Promise<void> {
  await runTask(session, 'DeleteVirtualDisk_Task', session.serviceContent.virtualDiskManager, { name: path, ...datacenterArg('datacenter', datacenter) }, options);
}
