import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createVm, datastorePath, destroyEntity, listChildren, makeDirectory, powerOffVm, requireByInventoryPath, VimFault, type MoRef, type VimSession } from '@vic/vsphere';
import { createCertificates } from '../certificates';
import type { TlsChoices } from '../tls-flags';
import { dockerEnvLines, dockerHost } from '../endpoint-address';
import { VicMachineError } from '../errors';
import { progress } from '../progress';
import { vchExists, writeVchConfig, type VchConfig } from '../vch-config';
import type { VchLayout } from '../vch-layout';
import { applianceConfig, applianceExtraConfig, appliancePort, type ServerTlsFiles } from '../vsphere/appliance-config';
import { bootAppliance } from '../vsphere/appliance-power';
import { applianceFolder, applianceVmConfig } from '../vsphere/appliance-vm';
import { checkVspherePrerequisites, type PrerequisiteFlags } from '../vsphere/prerequisites';
import type { PublicNetworkAddress } from '../vsphere/public-network-flag';
import { Rollback } from '../vsphere/rollback';
import { recordExtraConfig, type VchRecord } from '../vsphere/vch-record';
import { describeLimits } from '../vsphere/vch-limits';
import { createVchPool, poolKind } from '../vsphere/vch-pool';
import { checkImageStoreFree, createImageStore, createVolumeStores, type VchIsos } from '../vsphere/vch-stores';
import type { VsphereTarget } from '../vsphere/vsphere-target';
import type { VchLimits } from '../vsphere/vsphere-vch';

export interface VsphereCreateOptions {
  readonly layout: VchLayout;
  readonly stateRoot: string;
  /** Absent with --no-tls. */
  readonly tls?: TlsChoices;
  readonly insecureRegistries: string[];
  readonly isos: VchIsos;
  /** The appliance's static address on the public network. */
  readonly network: PublicNetworkAddress;
  /** How long to wait for the appliance's endpoint to answer (--timeout). */
  readonly timeoutMs: number;
  readonly target: VsphereTarget;
  readonly flags: PrerequisiteFlags;
  readonly limits: VchLimits;
}

/** Refusals that need neither vSphere nor anything made yet. */
function checkLocal(options: VsphereCreateOptions): void {
  const { layout } = options;
  if (vchExists(layout)) throw new VicMachineError(`VCH ${layout.name} already exists on this machine (${layout.dir}); vic-machine inspect shows it, vic-machine delete removes it`);
  if (!existsSync(options.isos.bootstrap)) throw new VicMachineError(`the bootstrap ISO ${options.isos.bootstrap} is missing; build it with bash iso-build/build.sh or pass --iso`);
  if (!existsSync(options.isos.appliance)) throw new VicMachineError(`the appliance ISO ${options.isos.appliance} is missing; build it with bash iso-build/build.sh or pass --appliance-iso`);
}

/**
 * The server's certificate (for the appliance's public address) and the client's, made here; the
 * server's files go to the appliance in its configuration and are not kept on this machine.
 */
async function makeCertificates(layout: VchLayout, ip: string, tls: TlsChoices): Promise<ServerTlsFiles> {
  progress(`generating certificates with openssl: a CA, a server certificate (for ${ip}${tls.cname ? ` and ${tls.cname}` : ''})${tls.verifyClients ? ', a client certificate' : ' (--no-tlsverify: no client certificate)'}`);
  await createCertificates(layout, ip, tls);
  const read = (file: string) => readFileSync(join(layout.serverTls, file), 'utf8');
  const files = { ca: read('ca.pem'), cert: read('server-cert.pem'), key: read('server-key.pem') };
  rmSync(layout.serverTls, { recursive: true, force: true });
  return files;
}

/** Undoes the appliance VM: powered off first when it was powered on (a running VM cannot be destroyed). */
async function removeApplianceVm(session: VimSession, vm: MoRef): Promise<void> {
  await powerOffVm(session, vm).catch((error: unknown) => {
    if (!(error instanceof VimFault && error.faultName === 'InvalidPowerState')) throw error;
  });
  await destroyEntity(session, vm);
}

/**
 * `vic-machine create` on vSphere: checks every prerequisite first (flags, login, certificate,
 * compute resource, datastores, networks, name), then makes the VCH's vApp (a resource pool on
 * ESXi) with its limits, the image store folder with the bootstrap and appliance ISOs, the volume
 * store folders and the appliance VM (its data disk made with it), powers the appliance on and
 * waits until its endpoint answers docker at the public address. Any failure undoes what was made,
 * the powered-on appliance included, after showing the tail of its console.
 */
export async function createVsphereVch(options: VsphereCreateOptions): Promise<void> {
  const { layout, target, limits, network } = options;
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
    progress(`prerequisites OK: compute resource ${env.pool.path}, image store [${datastore}] ${storeFolder}, public network ${env.publicNetwork.path} (appliance at ${network.address}${network.gateway ? `, gateway ${network.gateway}` : ''})${env.bridgeNetwork ? `, bridge network ${env.bridgeNetwork.path}` : ''}`);
    if (options.tls === undefined) progress(`--no-tls: the endpoint serves plain HTTP without authentication to anyone who can reach ${network.ip}`);

    mkdirSync(options.stateRoot, { recursive: true });
    mkdirSync(layout.dir, { mode: 0o700 });
    rollback.add(`the local folder ${layout.dir}`, async () => rmSync(layout.dir, { recursive: true, force: true }));
    const serverTls = options.tls ? await makeCertificates(layout, network.ip, options.tls) : undefined;

    progress(`creating the VCH's ${env.apiType === 'VirtualCenter' ? 'vApp' : 'resource pool'} ${env.pool.path}/${name} (${describeLimits(limits)})`);
    const pool = await createVchPool(session, env.pool.ref, name, limits, vmFolder);
    rollback.add(`${poolKind(pool)} ${name}`, () => destroyEntity(session, pool));

    await createImageStore(placement, rollback, datastore, storeFolder, options.isos);
    await createVolumeStores(placement, rollback, volumeStores);

    const port = appliancePort(options.tls !== undefined);
    const localConfig: VchConfig = {
      name,
      host: network.ip,
      port,
      tls: options.tls !== undefined,
      ...(options.tls?.verifyClients === false ? { noTlsVerify: true as const } : {}),
      insecureRegistries: options.insecureRegistries,
      createdAt: new Date().toISOString(),
    };
    const record: VchRecord = {
      name,
      createdAt: localConfig.createdAt,
      targetUrl: target.sdkUrl,
      imageStore: `ds://${datastore}/${storeFolder}`,
      volumeStores,
      publicNetwork: env.publicNetwork.path,
      ...(env.bridgeNetwork ? { bridgeNetwork: env.bridgeNetwork.path } : {}),
      limits,
      dockerHost: dockerHost(localConfig),
      tls: options.tls !== undefined,
      ...(localConfig.noTlsVerify ? { noTlsVerify: true as const } : {}),
      ...(options.tls?.cname === undefined ? {} : { tlsCname: options.tls.cname }),
    };
    const appliance = applianceConfig({
      name,
      network,
      ...(serverTls === undefined ? {} : { tls: { files: serverTls, verifyClients: options.tls!.verifyClients } }),
      insecureRegistries: options.insecureRegistries,
      vsphere: {
        sdkUrl: target.sdkUrl,
        username: target.username,
        password: target.password,
        ...(options.flags.thumbprint === undefined ? {} : { thumbprint: options.flags.thumbprint }),
        insecure: options.flags.thumbprint === undefined && options.flags.force === true,
        datacenter: env.datacenter.path,
        pool,
        datastore,
        storeFolder,
        ...(env.bridgeNetwork ? { bridgeNetwork: env.bridgeNetwork.path } : {}),
        containerNetworks: options.flags.containerNetworks ?? [],
        volumeStores,
      },
    });

    progress(`creating the appliance VM ${name} in the ${poolKind(pool)} (files in [${datastore}] ${applianceFolder(storeFolder)}, with an empty data disk)`);
    await makeDirectory(session, datastorePath(datastore, applianceFolder(storeFolder)), env.datacenter.ref);
    const endpointVm = await createVm(
      session,
      { folder: vmFolder, pool },
      await applianceVmConfig(session, {
        name,
        datastore,
        storeFolder,
        publicNetwork: env.publicNetwork.ref,
        ...(env.bridgeNetwork ? { bridgeNetwork: env.bridgeNetwork.ref } : {}),
        extraConfig: { ...recordExtraConfig(record), ...applianceExtraConfig(appliance) },
      }),
    );
    rollback.add(`appliance VM ${name}`, () => removeApplianceVm(session, endpointVm));

    const config: VchConfig = { ...localConfig, vsphere: { sdkUrl: target.sdkUrl, computeResource: env.pool.path, pool } };
    writeVchConfig(layout, config);
    await bootAppliance({ session, vm: endpointVm, files: { datacenterPath: env.datacenter.path, datastore, storeFolder } }, { config, layout }, options.timeoutMs);
    progress(`VCH ${name} is ready (${((Date.now() - started) / 1000).toFixed(1)} s). To use it:`);
    for (const line of dockerEnvLines(config, layout)) console.log(line);
  } catch (error) {
    if (!rollback.empty) progress('create failed; removing what it made');
    const left = await rollback.run();
    if (left.length > 0) throw new VicMachineError(`${(error as Error).message}\nrollback could not remove:\n${left.map((line) => `  ${line}`).join('\n')}`);
    throw error;
  } finally {
    await session.logout();
  }
}
