import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';
import { createResourcePool, nicBackingFor, requireByInventoryPath, VimSession, type MoRef, type NicBacking } from '../../packages/vsphere/src/index';
import { startVchEndpoint, type VchEndpoint } from '../../apps/endpoint/src/vch-endpoint';
import type { VsphereTarget } from '../../apps/endpoint/src/portlayer/vsphere/vsphere-target';
import { ensureBootstrapIso } from './bootstrap-iso';
import { dockerCli, type DockerResult } from './docker-cli';
import { EsxHostStandIn } from './esx-host/esx-host';
import { startVcsim, type Vcsim, type VcsimVm } from './vcsim';

/*
 * A VCH endpoint on the vSphere backend for end-to-end tests: vcsim is vSphere (the endpoint
 * creates, powers and destroys container VMs in the VCH's resource pool and uploads the ISO and
 * disks to its datastore through the vim25 API); vcsim runs nothing, so EsxHostStandIn
 * (esx-host/) plays the ESX host and boots a real QEMU VM from each powered-on VM's files and
 * devices. The endpoint runs in the test's process, with busybox:latest loaded through the real
 * docker CLI.
 */

const DATASTORE = 'LocalDS_0';

export interface VsphereEndpointVch {
  vcsim: Vcsim;
  /** The endpoint's login. */
  session: VimSession;
  host: EsxHostStandIn;
  /** The VCH's resource pool. */
  pool: MoRef;
  /** The backing of the container network `public` (the distributed portgroup DC0_DVPG0). */
  publicBacking: NicBacking;
  /** A scratch folder of the test's, removed by close(). */
  work: string;
  endpoint: VchEndpoint;
  /** Closes the endpoint (its container VMs keep running: live restore) and opens a new one over the same state. */
  reopenEndpoint(): Promise<void>;
  docker(...args: string[]): Promise<DockerResult>;
  /** docker that must succeed: its stdout, or an error with its stderr and the harness's errors. */
  ok(...args: string[]): Promise<string>;
  vmsInPool(): Promise<VcsimVm[]>;
  /** The local directory behind the datastore (vcsim keeps its datastores as directories). */
  datastoreDir(): Promise<string>;
  /** Removes every container, closes the endpoint, the harness and vcsim, and the scratch folder. */
  close(): Promise<void>;
}

/**
 * `name`: the VCH's pool and datastore folder. `publicSubnet`: the container network `public`'s
 * /24 on DC0_DVPG0, e.g. "10.99.0" (gateway .1).
 */
export async function startVsphereEndpointVch(name: string, publicSubnet: string): Promise<VsphereEndpointVch> {
  const work = mkdtempSync(join(tmpdir(), `vic-${name}-`));
  const vcsim = await startVcsim();
  try {
    return await openVch(name, publicSubnet, work, vcsim);
  } catch (error) {
    await vcsim.stop();
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
}

async function openVch(name: string, publicSubnet: string, work: string, vcsim: Vcsim): Promise<VsphereEndpointVch> {
  const login = () => VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
  const session = await login();
  const harnessSession = await login();
  const pool = await createResourcePool(session, await requireByInventoryPath(session, 'DC0/host/DC0_C0/Resources', 'resource pool'), name);
  const publicBacking = await nicBackingFor(session, await requireByInventoryPath(session, 'DC0/network/DC0_DVPG0', 'network'));
  const target: VsphereTarget = {
    session,
    datacenterPath: 'DC0',
    datacenter: await requireByInventoryPath(session, 'DC0', 'datacenter'),
    vmFolder: await requireByInventoryPath(session, 'DC0/vm', 'folder'),
    pool,
    datastore: DATASTORE,
    storeFolder: name,
    channelHost: '127.0.0.1',
    bridgeNetwork: await nicBackingFor(session, await requireByInventoryPath(session, 'DC0/network/VM Network', 'network')),
    containerNetworks: { DC0_DVPG0: publicBacking },
  };
  const host = EsxHostStandIn.start(vcsim, harnessSession, join(work, 'esx'));
  const { iso } = await ensureBootstrapIso();
  const openEndpoint = () =>
    startVchEndpoint({
      name,
      stateDir: join(work, 'vch'),
      iso,
      host: '127.0.0.1',
      port: 0,
      vsphere: target,
      liveRestore: true,
      containerNetworks: [{ alias: 'public', portgroup: 'DC0_DVPG0', ipam: { subnet: `${publicSubnet}.0/24`, gateway: `${publicSubnet}.1` } }],
    });

  const vch: VsphereEndpointVch = {
    vcsim,
    session,
    host,
    pool,
    publicBacking,
    work,
    endpoint: await openEndpoint().catch(async (error: unknown) => {
      await host.stop();
      throw error;
    }),
    async reopenEndpoint() {
      await vch.endpoint.close();
      vch.endpoint = await openEndpoint();
    },
    docker: (...args) => dockerCli(vch.endpoint.dockerHost, join(work, 'docker-config'), args, { timeoutMs: 240_000 }),
    async ok(...args) {
      const result = await vch.docker(...args);
      if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}: ${result.stderr}\nharness: ${host.errors.map((e) => e.message).join('; ')}`);
      return result.stdout;
    },
    vmsInPool: async () => (await vcsim.inventory()).vms.filter((vm) => vm.resourcePool?.value === pool.value),
    datastoreDir: async () => (await vcsim.inventory()).datastores.find((ds) => ds.name === DATASTORE)!.url,
    async close() {
      // Live restore leaves container VMs running when the endpoint closes: remove them first.
      const ids = (await vch.docker('ps', '-aq')).stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await vch.docker('rm', '-f', ...ids);
      await vch.endpoint.close();
      await host.stop();
      await harnessSession.logout().catch(() => undefined);
      await session.logout().catch(() => undefined);
      await vcsim.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
  try {
    const archive = join(work, 'busybox.tar');
    await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', archive);
    await vch.ok('load', '-q', '-i', archive);
  } catch (error) {
    await vch.endpoint.close();
    await host.stop();
    throw error;
  }
  return vch;
}

/** The probe's last value once `done` holds for it, or after 30 s whatever it is (the assertion then shows it). */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
