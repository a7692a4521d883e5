import { describeAccess } from '../tls-flags';
import { readResourceConfig } from '@vic/vsphere';
import { dockerEnvLines } from '../endpoint-address';
import type { VchLayout } from '../vch-layout';
import { consolePath } from '../vsphere/appliance-console';
import { readApplianceConfig } from '../vsphere/appliance-config';
import { applianceStatus, localClient } from '../vsphere/appliance-status';
import { describeLimits } from '../vsphere/vch-limits';
import { poolKind } from '../vsphere/vch-pool';
import type { VsphereTarget } from '../vsphere/vsphere-target';
import { applianceOf, requireVch, withVsphere, type ConnectFlags } from '../vsphere/vsphere-command';

/**
 * `vic-machine inspect` on vSphere: the VCH as the inventory records it (its pool's limits read back
 * from vSphere, the appliance VM's record and power state, its container VMs), whether its endpoint
 * answers, and the docker environment when this machine has the client certificates.
 */
export async function inspectVsphereVch(layout: VchLayout, target: VsphereTarget, flags: ConnectFlags): Promise<void> {
  await withVsphere(target, flags, async (connection) => {
    const vch = await requireVch(connection, layout.name);
    const allocation = await readResourceConfig(connection.session, vch.pool);
    const limit = (value: number) => (value < 0 ? undefined : value);
    const cpuMHz = limit(allocation.cpu.limit);
    const memoryMB = limit(allocation.memory.limit);
    const running = vch.containerVms.filter((vm) => vm.powerState === 'poweredOn').length;
    const { record } = vch;
    const client = localClient(layout, vch.pool);
    const { network } = readApplianceConfig(layout.name, vch.extraConfig);
    console.log(`VCH:           ${record.name}`);
    console.log(`status:        ${(await applianceStatus(vch.endpointPower, client)).long}`);
    console.log(`${`${poolKind(vch.pool)}:`.padEnd(15)}${connection.pool.path}/${record.name} (${describeLimits({ ...(cpuMHz === undefined ? {} : { cpuMHz }), ...(memoryMB === undefined ? {} : { memoryMB }) })})`);
    console.log(`appliance VM:  ${record.name} (${vch.endpointPower}), public address ${network.address}${network.gateway ? ` via ${network.gateway}` : ''}${network.dns ? `, DNS ${network.dns.join(' ')}` : ''}`);
    console.log(`console:       ${consolePath(applianceOf(connection, vch).files)} (vic-machine debug shows its tail)`);
    console.log(`image store:   ${record.imageStore}`);
    for (const store of record.volumeStores) console.log(`volume store:  ${store.label} ds://${store.datastore}/${store.path}`);
    console.log(`networks:      public ${record.publicNetwork}${record.bridgeNetwork ? `, bridge ${record.bridgeNetwork}` : ''}`);
    console.log(`containers:    ${vch.containerVms.length} VM(s), ${running} running`);
    console.log(`endpoint:      ${record.dockerHost} (${describeAccess(record)})`);
    console.log(`created:       ${record.createdAt}`);
    if (client !== undefined) {
      console.log('');
      for (const line of dockerEnvLines(client.config, layout)) console.log(line);
    }
  });
}

/**
 * `vic-machine inspect config`: the VCH's configuration as the create options that would make it
 * again, as VIC's printed it (credentials left out).
 */
export async function inspectVsphereConfig(layout: VchLayout, target: VsphereTarget, flags: ConnectFlags): Promise<void> {
  await withVsphere(target, flags, async (connection) => {
    const vch = await requireVch(connection, layout.name);
    const { record } = vch;
    const { network } = readApplianceConfig(layout.name, vch.extraConfig);
    const options = [
      `--target ${target.host}${target.datacenter ? `/${target.datacenter}` : ''}`,
      `--name ${record.name}`,
      `--compute-resource ${connection.pool.path.replace(/^[^/]+\/host\//, '').replace(/\/Resources$/, '')}`,
      `--image-store ${record.imageStore.replace(/^ds:\/\//, '')}`,
      ...record.volumeStores.map((store) => `--volume-store ${store.datastore}/${store.path}:${store.label}`),
      `--public-network ${JSON.stringify(record.publicNetwork)}`,
      `--public-network-ip ${network.address}`,
      ...(network.gateway ? [`--public-network-gateway ${network.gateway}`] : []),
      ...(network.dns ?? []).map((server) => `--dns-server ${server}`),
      ...(record.bridgeNetwork ? [`--bridge-network ${JSON.stringify(record.bridgeNetwork)}`] : []),
      ...(record.limits.cpuMHz === undefined ? [] : [`--cpu ${record.limits.cpuMHz}`]),
      ...(record.limits.memoryMB === undefined ? [] : [`--memory ${record.limits.memoryMB}`]),
      ...(record.tls ? [] : ['--no-tls']),
      ...(record.noTlsVerify ? ['--no-tlsverify'] : []),
      ...(record.tlsCname === undefined ? [] : [`--tls-cname ${record.tlsCname}`]),
    ];
    for (const option of options) console.log(option);
  });
}
