import { listChildren, listPoolVms, readVm, type MoRef, type PoolVm, type PowerState, type VimSession } from '@vic/vsphere';
import { isVchPoolType } from './vch-pool';
import { readRecord, type VchRecord } from './vch-record';

/** A VCH as the inventory shows it: its vApp (or resource pool), its endpoint VM (with the record) and its container VMs. */
export interface FoundVch {
  readonly pool: MoRef;
  readonly endpointVm: MoRef;
  readonly endpointPower: PowerState;
  readonly record: VchRecord;
  /** The endpoint VM's extraConfig: the record's keys and the appliance configuration (appliance-config.ts). */
  readonly extraConfig: Readonly<Record<string, string>>;
  readonly containerVms: readonly PoolVm[];
}

/**
 * The VCHs in a compute resource's pool: vApps (or resource pools, on ESXi) holding a VM whose
 * extraConfig carries a VCH record. vApps are looked up through the pool tree (vcsim lists them in
 * no VM folder).
 */
export async function findVchs(session: VimSession, pool: MoRef): Promise<FoundVch[]> {
  const pools = (await listChildren(session, pool)).filter((child) => isVchPoolType(child.ref.type));
  const found: FoundVch[] = [];
  for (const candidate of pools) {
    const vms = await listPoolVms(session, candidate.ref);
    for (const vm of vms) {
      const { extraConfig } = await readVm(session, vm.ref);
      const record = readRecord(extraConfig);
      if (record === undefined) continue;
      found.push({ pool: candidate.ref, endpointVm: vm.ref, endpointPower: vm.powerState, record, extraConfig, containerVms: vms.filter((other) => other !== vm) });
      break;
    }
  }
  return found.sort((a, b) => a.record.name.localeCompare(b.record.name));
}

/** The VCH named `name`, if the pool has it. */
export async function findVch(session: VimSession, pool: MoRef, name: string): Promise<FoundVch | undefined> {
  return (await findVchs(session, pool)).find((vch) => vch.record.name === name);
}
