import { UntrustedCertificateError, VimFault, VimRequestError, VimSession, type MoRef } from '@vic/vsphere';
import { VicMachineError } from '../errors';
import { certificatePolicy, untrustedCertificateError } from './certificate-trust';
import { lookupComputeResource, lookupDatacenter, lookupDatastore, lookupNetwork, type Lookup } from './inventory-lookup';
import type { VsphereTarget } from './vsphere-target';
import type { ContainerNetwork } from './container-network-flag';
import type { VolumeStore } from './vsphere-vch';

export interface PrerequisiteFlags {
  readonly thumbprint?: string;
  readonly force?: boolean;
  readonly computeResource?: string;
  /** --image-store: "datastore" or "datastore/path". */
  readonly imageStore?: string;
  readonly publicNetwork?: string;
  readonly bridgeNetwork?: string;
  /** Each store's datastore must exist. */
  readonly volumeStores?: readonly VolumeStore[];
  /** Each container network's portgroup must exist. */
  readonly containerNetworks?: readonly ContainerNetwork[];
}

export interface Located {
  readonly ref: MoRef;
  readonly path: string;
}

/** Everything a vSphere VCH needs, found and checked. */
export interface VsphereEnvironment {
  readonly session: VimSession;
  readonly apiType: string;
  readonly datacenter: Located;
  readonly pool: Located;
  readonly imageStore: Located & { readonly folder: string };
  readonly publicNetwork: Located;
  readonly bridgeNetwork?: Located;
}

/** The public network when --public-network is not given, as in VIC. */
export const DEFAULT_PUBLIC_NETWORK = 'VM Network';

/**
 * Logs in and resolves the datacenter, compute resource, image store and networks. Like VIC's
 * validator, it reports every problem at once, so one run shows all there is to fix.
 */
export async function checkVspherePrerequisites(target: VsphereTarget, flags: PrerequisiteFlags): Promise<VsphereEnvironment> {
  const session = await login(target, flags);
  try {
    const datacenter = await lookupDatacenter(session, target.datacenter);
    if (!datacenter.ok) throw new VicMachineError(datacenter.issue);
    const [storeName, ...folder] = (flags.imageStore ?? '').split('/');
    const lookups = {
      pool: await lookupComputeResource(session, datacenter.path, flags.computeResource),
      imageStore: await lookupDatastore(session, datacenter.path, storeName === '' ? undefined : storeName, '--image-store'),
      publicNetwork: await lookupNetwork(session, datacenter.path, flags.publicNetwork ?? DEFAULT_PUBLIC_NETWORK, '--public-network'),
      ...(flags.bridgeNetwork === undefined ? {} : { bridgeNetwork: await lookupNetwork(session, datacenter.path, flags.bridgeNetwork, '--bridge-network') }),
    };
    const volumeStores = await Promise.all((flags.volumeStores ?? []).map((store) => lookupDatastore(session, datacenter.path, store.datastore, '--volume-store')));
    const containerNetworks = await Promise.all((flags.containerNetworks ?? []).map((network) => lookupNetwork(session, datacenter.path, network.portgroup, '--container-network')));
    const issues = [...Object.values(lookups), ...volumeStores, ...containerNetworks].flatMap((lookup: Lookup) => (lookup.ok ? [] : [lookup.issue]));
    if (issues.length > 0) throw new VicMachineError(issues.join('\n'));
    const located = (lookup: Lookup): Located => (lookup.ok ? { ref: lookup.ref, path: lookup.path } : unreachable());
    return {
      session,
      apiType: session.serviceContent.about.apiType,
      datacenter: located(datacenter),
      pool: located(lookups.pool),
      imageStore: { ...located(lookups.imageStore), folder: folder.join('/') },
      publicNetwork: located(lookups.publicNetwork),
      ...(lookups.bridgeNetwork === undefined ? {} : { bridgeNetwork: located(lookups.bridgeNetwork) }),
    };
  } catch (error) {
    await session.logout();
    throw error;
  }
}

/** A session, or VIC's message for a refused certificate, a failed login or an unreachable host. */
export async function login(target: VsphereTarget, flags: PrerequisiteFlags): Promise<VimSession> {
  try {
    return await VimSession.login({
      url: target.sdkUrl,
      username: target.username,
      password: target.password,
      certificate: certificatePolicy(flags),
    });
  } catch (error) {
    if (error instanceof UntrustedCertificateError) throw untrustedCertificateError(error);
    if (error instanceof VimFault && error.faultName === 'InvalidLogin') {
      throw new VicMachineError(`Failed to log in to ${target.host} as ${target.username}: ${error.message}`);
    }
    if (error instanceof VimRequestError) throw new VicMachineError(`Cannot connect to ${target.host}: ${(error.cause as Error)?.message ?? error.message}`);
    throw error;
  }
}

/** What every command but create needs: a session, the datacenter and the compute resource's pool. */
export async function connectVsphere(target: VsphereTarget, flags: Pick<PrerequisiteFlags, 'thumbprint' | 'force' | 'computeResource'>): Promise<Pick<VsphereEnvironment, 'session' | 'datacenter' | 'pool'>> {
  const session = await login(target, flags);
  try {
    const datacenter = await lookupDatacenter(session, target.datacenter);
    if (!datacenter.ok) throw new VicMachineError(datacenter.issue);
    const pool = await lookupComputeResource(session, datacenter.path, flags.computeResource);
    if (!pool.ok) throw new VicMachineError(pool.issue);
    return { session, datacenter: { ref: datacenter.ref, path: datacenter.path }, pool: { ref: pool.ref, path: pool.path } };
  } catch (error) {
    await session.logout();
    throw error;
  }
}

function unreachable(): never {
  throw new Error('a failed lookup was not reported as an issue');
}
