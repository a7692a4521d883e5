import type { VimSession } from '@vic/vsphere';
import { VicMachineError } from '../errors';
import type { Appliance } from './appliance-power';
import { findVch, type FoundVch } from './find-vchs';
import { connectVsphere, type Located, type PrerequisiteFlags } from './prerequisites';
import type { VsphereTarget } from './vsphere-target';

export interface VsphereConnection {
  readonly session: VimSession;
  readonly datacenter: Located;
  readonly pool: Located;
}

export type ConnectFlags = Pick<PrerequisiteFlags, 'thumbprint' | 'force' | 'computeResource'>;

/** Runs `body` with a session on the target, logging out afterwards whatever happens. */
export async function withVsphere<T>(target: VsphereTarget, flags: ConnectFlags, body: (connection: VsphereConnection) => Promise<T>): Promise<T> {
  const connection = await connectVsphere(target, flags);
  try {
    return await body(connection);
  } finally {
    await connection.session.logout();
  }
}

/** The VCH named `name` in the compute resource, or an error that says where it looked. */
export async function requireVch(connection: VsphereConnection, name: string): Promise<FoundVch> {
  const vch = await findVch(connection.session, connection.pool.ref, name);
  if (vch === undefined) throw new VicMachineError(`no VCH named ${name} in ${connection.pool.path}; vic-machine ls lists the VCHs there`);
  return vch;
}


/** The VCH's appliance: its VM and where its files are (the image store folder the record names). */
export function applianceOf(connection: VsphereConnection, vch: FoundVch): Appliance {
  const [datastore, ...folder] = vch.record.imageStore.replace(/^ds:\/\//, '').split('/');
  return { session: connection.session, vm: vch.endpointVm, files: { datacenterPath: connection.datacenter.path, datastore: datastore!, storeFolder: folder.join('/') } };
}
