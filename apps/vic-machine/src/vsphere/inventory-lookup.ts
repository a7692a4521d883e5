import { findByInventoryPath, listChildren, retrieveOne, type MoRef, type NamedObject, type VimSession } from '@vic/vsphere';

/** A lookup's result: the object and its inventory path, or an issue in govmomi's finder wording. */
export type Lookup = { readonly ok: true; readonly ref: MoRef; readonly path: string } | { readonly ok: false; readonly issue: string };

const found = (ref: MoRef, path: string): Lookup => ({ ok: true, ref, path });
const issue = (text: string): Lookup => ({ ok: false, issue: text });
const quoted = (names: readonly string[]): string => [...names].sort().map((name) => JSON.stringify(name)).join(', ');
/** What a NIC can be plugged into (a distributed switch itself cannot). */
const NETWORK_TYPES = new Set(['Network', 'DistributedVirtualPortgroup', 'OpaqueNetwork']);

/** The datacenter named, or the only one there is. */
export async function lookupDatacenter(session: VimSession, name: string | undefined): Promise<Lookup> {
  if (name !== undefined) {
    const ref = await findByInventoryPath(session, name);
    return ref?.type === 'Datacenter' ? found(ref, name) : issue(`datacenter '${name}' not found`);
  }
  const datacenters = (await listChildren(session, session.serviceContent.rootFolder)).filter((child) => child.ref.type === 'Datacenter');
  if (datacenters.length === 1) return found(datacenters[0]!.ref, datacenters[0]!.name);
  if (datacenters.length === 0) return issue('no default datacenter found');
  return issue(`default datacenter resolves to multiple instances, please specify it in --target: ${quoted(datacenters.map((dc) => dc.name))}`);
}

/**
 * --compute-resource as VIC read it: a cluster or host ("DC0_C0"), or a resource pool under one
 * ("DC0_C0/Resources/pool"), relative to the datacenter's host folder. Without it, the only compute
 * resource there is. The result is the resource pool VCHs go into.
 */
export async function lookupComputeResource(session: VimSession, datacenter: string, path: string | undefined): Promise<Lookup> {
  const hostFolder = `${datacenter}/host`;
  const computeResources = async (): Promise<NamedObject[]> => {
    const folder = await findByInventoryPath(session, hostFolder);
    return folder === undefined ? [] : (await listChildren(session, folder)).filter((child) => child.ref.type.endsWith('ComputeResource'));
  };
  if (path === undefined) {
    const all = await computeResources();
    if (all.length !== 1) {
      return issue(
        `No unambiguous default compute resource available: --compute-resource must be specified` +
          (all.length === 0 ? '' : `. Suggested values for --compute-resource: ${quoted(all.map((c) => c.name))}`),
      );
    }
    return defaultPool(session, all[0]!.ref, `${hostFolder}/${all[0]!.name}`);
  }
  const full = `${hostFolder}/${path.replace(/^\/+/, '')}`;
  const ref = await findByInventoryPath(session, full);
  if (ref === undefined) {
    const suggestions = (await computeResources()).map((c) => c.name);
    return issue(`compute resource '${path}' not found` + (suggestions.length === 0 ? '' : `. Suggested values for --compute-resource: ${quoted(suggestions)}`));
  }
  if (ref.type === 'ResourcePool' || ref.type === 'VirtualApp') return found(ref, full);
  if (ref.type.endsWith('ComputeResource')) return defaultPool(session, ref, full);
  return issue(`--compute-resource '${path}' is a ${ref.type}, not a cluster, host or resource pool`);
}

async function defaultPool(session: VimSession, computeResource: MoRef, path: string): Promise<Lookup> {
  const { props } = await retrieveOne(session, computeResource, ['resourcePool']);
  const pool = props.resourcePool as MoRef | undefined;
  return pool === undefined ? issue(`compute resource '${path}' has no resource pool`) : found(pool, `${path}/Resources`);
}

/** A datastore by name, or the only one in the datacenter. */
export async function lookupDatastore(session: VimSession, datacenter: string, name: string | undefined, flag: string): Promise<Lookup> {
  const folder = await findByInventoryPath(session, `${datacenter}/datastore`);
  const all = folder === undefined ? [] : (await listChildren(session, folder)).filter((child) => child.ref.type === 'Datastore');
  const suggestions = all.length === 0 ? '' : `. Suggested values for ${flag}: ${quoted(all.map((ds) => ds.name))}`;
  if (name === undefined) {
    if (all.length === 1) return found(all[0]!.ref, all[0]!.name);
    return issue(all.length === 0 ? 'no default datastore found' : `default datastore resolves to multiple instances, please specify${suggestions}`);
  }
  const match = all.find((ds) => ds.name === name);
  return match === undefined ? issue(`datastore '${name}' not found${suggestions}`) : found(match.ref, name);
}

/** A network (standard or distributed portgroup) by name in the datacenter's network folder. */
export async function lookupNetwork(session: VimSession, datacenter: string, name: string, flag: string): Promise<Lookup> {
  const ref = await findByInventoryPath(session, `${datacenter}/network/${name}`);
  if (ref !== undefined && NETWORK_TYPES.has(ref.type)) return found(ref, name);
  const folder = await findByInventoryPath(session, `${datacenter}/network`);
  const all = folder === undefined ? [] : (await listChildren(session, folder)).filter((child) => NETWORK_TYPES.has(child.ref.type)).map((child) => child.name);
  return issue(`network '${name}' not found` + (all.length === 0 ? '' : `. Suggested values for ${flag}: ${quoted(all)}`));
}
