import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createVm, datastorePath, destroyEntity, listChildren, makeDirectory, reconfigureVm, requireByInventoryPath } from '@vic/vsphere';
import { createCertificates } from '../certificates';
import type { TlsChoices } from '../tls-flags';
import { dockerEnvLines, dockerHost } from '../endpoint-address';
import { stopEndpoint } from '../endpoint-process';
import { VicMachineError } from '../errors';
import { isLoopback } from '../host-address';
import { progress } from '../progress';
import { vchExists, writeVchConfig, type VchConfig } from '../vch-config';
import type { VchLayout } from '../vch-layout';
import { killVchProcesses } from '../vch-processes';
import { startVch } from '../vch-startup';
import { applianceFolder, endpointVmConfig } from '../vsphere/endpoint-vm';
import { checkVspherePrerequisites, type PrerequisiteFlags } from '../vsphere/prerequisites';
import { Rollback } from '../vsphere/rollback';
import { RECORD_KEYS, recordExtraConfig } from '../vsphere/vch-record';
import { describeLimits } from '../vsphere/vch-limits';
import { createVchPool, poolKind } from '../vsphere/vch-pool';
import { checkImageStoreFree, createImageStore, createVolumeStores } from '../vsphere/vch-stores';
import type { VsphereTarget } from '../vsphere/vsphere-target';
import type { VchLimits, VsphereVch } from '../vsphere/vsphere-vch';

export interface VsphereCreateOptions {
  readonly layout: VchLayout;
  readonly stateRoot: string;
  readonly host: string;
  readonly port: number;
  /** Absent with --no-tls. */
  readonly tls?: TlsChoices;
  readonly insecureRegistries: string[];
  readonly iso: string;
  readonly target: VsphereTarget;
  readonly flags: PrerequisiteFlags;
  readonly limits: VchLimits;
}

/** Refusals that need neither vSphere nor anything made yet. */
function checkLocal(options: VsphereCreateOptions): void {
  const { layout } = options;
  if (options.tls === undefined && !isLoopback(options.host)) {
    // --force means "accept any certificate" on a vSphere target, so it cannot also allow this.
    throw new VicMachineError(`refusing plain HTTP on ${options.host}: anyone who can reach that address could run containers on VCH ${layout.name} without credentials. Drop --no-tls or bind a loopback address.`);
  }
  if (vchExists(layout)) throw new VicMachineError(`VCH ${layout.name} already exists on this machine (${layout.dir}); vic-machine inspect shows it, vic-machine delete removes it`);
  if (!existsSync(options.iso)) throw new VicMachineError(`the bootstrap ISO ${options.iso} is missing; build it with bash iso-build/build.sh or pass --iso`);
}

/**
 * `vic-machine create` on vSphere: checks every prerequisite first (login, certificate, compute
 * resource, datastores, networks, name), then makes the VCH's vApp (a resource pool on ESXi) with
 * its limits, the image store folder with the bootstrap ISO, the volume store folders and the endpoint VM recording the VCH's
 * configuration, and starts the endpoint. The endpoint runs on this machine with the vSphere
 * backend: the appliance VM cannot be given a network docker could reach yet (issue 6). Any failure
 * undoes what was made.
 */
export async function createVsphereVch(options: VsphereCreateOptions): Promise<void> {
  const { layout, target, limits } = options;
  const name = layout.name;
  checkLocal(options);
  const started = Date.now();
  progress(`checking prerequisites on ${target.host}`);
  const env = await checkVspherePrerequisites(target, options.flags);
  const { session } = env;
  const rollback = new Rollback();
  try {
    const taken = (await listChildren(session, env.pool.ref)).find((child) => child.name === name);
    if (taken) throw new VicMachineError(`VCH name ${name} is taken: ${env.pool.path} already holds a ${taken.ref.type} named ${name}`);
    const datastore = env.imageStore.path;
    const storeFolder = env.imageStore.folder === '' ? name : env.imageStore.folder;
    const volumeStores = options.flags.volumeStores ?? [];
    const vmFolder = await requireByInventoryPath(session, `${env.datacenter.path}/vm`, 'folder');
    const placement = { session, datacenter: env.datacenter };
    await checkImageStoreFree(placement, datastore, storeFolder);
    progress(`prerequisites OK: compute resource ${env.pool.path}, image store [${datastore}] ${storeFolder}, public network ${env.publicNetwork.path}${env.bridgeNetwork ? `, bridge network ${env.bridgeNetwork.path}` : ''}`);

    mkdirSync(options.stateRoot, { recursive: true });
    mkdirSync(layout.dir, { mode: 0o700 });
    rollback.add(`the local folder ${layout.dir}`, async () => rmSync(layout.dir, { recursive: true, force: true }));
    if (options.tls) {
      progress(`generating certificates with openssl: a CA, a server certificate (for 127.0.0.1, localhost and ${options.host}), a client certificate`);
      await createCertificates(layout, options.host, options.tls);
    }
    copyFileSync(options.iso, layout.iso);
    writeFileSync(layout.vsphereCredentials, JSON.stringify({ username: target.username, password: target.password }), { mode: 0o600 });

    progress(`creating the VCH's ${env.apiType === 'VirtualCenter' ? 'vApp' : 'resource pool'} ${env.pool.path}/${name} (${describeLimits(limits)})`);
    const pool = await createVchPool(session, env.pool.ref, name, limits, vmFolder);
    rollback.add(`${poolKind(pool)} ${name}`, () => destroyEntity(session, pool));

    await createImageStore(placement, rollback, datastore, storeFolder, layout.iso);
    await createVolumeStores(placement, rollback, volumeStores);

    const createdAt = new Date().toISOString();
    const record = {
      name,
      createdAt,
      targetUrl: target.sdkUrl,
      imageStore: `ds://${datastore}/${storeFolder}`,
      volumeStores,
      publicNetwork: env.publicNetwork.path,
      ...(env.bridgeNetwork ? { bridgeNetwork: env.bridgeNetwork.path } : {}),
      limits,
      dockerHost: '',
      tls: options.tls !== undefined,
    };
    progress(`creating the endpoint VM ${name} in the ${poolKind(pool)}`);
    await makeDirectory(session, datastorePath(datastore, applianceFolder(storeFolder)), env.datacenter.ref);
    const endpointVm = await createVm(
      session,
      { folder: vmFolder, pool },
      await endpointVmConfig(session, {
        name,
        datastore,
        storeFolder,
        publicNetwork: env.publicNetwork.ref,
        ...(env.bridgeNetwork ? { bridgeNetwork: env.bridgeNetwork.ref } : {}),
        extraConfig: recordExtraConfig(record),
      }),
    );
    rollback.add(`endpoint VM ${name}`, () => destroyEntity(session, endpointVm));

    const vsphere: VsphereVch = {
      sdkUrl: target.sdkUrl,
      username: target.username,
      ...(options.flags.thumbprint === undefined ? {} : { thumbprint: options.flags.thumbprint }),
      insecure: options.flags.thumbprint === undefined && options.flags.force === true,
      datacenter: env.datacenter.path,
      computeResource: env.pool.path,
      pool,
      endpointVm,
      datastore,
      storeFolder,
      volumeStores,
      publicNetwork: env.publicNetwork.path,
      ...(env.bridgeNetwork ? { bridgeNetwork: env.bridgeNetwork.path } : {}),
      containerNetworks: options.flags.containerNetworks ?? [],
      limits,
    };
    const config: VchConfig = { name, host: options.host, port: options.port, tls: options.tls !== undefined, ...(options.tls?.verifyClients === false ? { noTlsVerify: true as const } : {}), insecureRegistries: options.insecureRegistries, createdAt, vsphere };
    writeVchConfig(layout, config);
    rollback.add('the endpoint process', async () => {
      await stopEndpoint(layout);
      await killVchProcesses(layout);
    });
    progress('the endpoint runs on this machine with the vSphere backend (the appliance VM has no reachable network yet)');
    const served = await startVch(layout, config);
    await reconfigureVm(session, endpointVm, { extraConfig: { [RECORD_KEYS.dockerHost]: dockerHost(served) } });
    progress(`VCH ${name} is ready (${((Date.now() - started) / 1000).toFixed(1)} s). To use it:`);
    for (const line of dockerEnvLines(served, layout)) console.log(line);
  } catch (error) {
    if (!rollback.empty) progress('create failed; removing what it made');
    const left = await rollback.run();
    if (left.length > 0) throw new VicMachineError(`${(error as Error).message}\nrollback could not remove:\n${left.map((line) => `  ${line}`).join('\n')}`);
    throw error;
  } finally {
    await session.logout();
  }
}
