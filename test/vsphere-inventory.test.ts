import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createResourcePool,
  createVApp,
  destroyEntity,
  findByInventoryPath,
  listChildren,
  readResourceConfig,
  requireByInventoryPath,
  retrieveOne,
  updateResourceConfig,
  VimFault,
  VimSession,
} from '../packages/vsphere/src/index';
import { startVcsim, type Vcsim } from './support/vcsim';

let vcsim: Vcsim;
let session: VimSession;

beforeAll(async () => {
  vcsim = await startVcsim();
  session = await VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
});
afterAll(async () => {
  await session?.logout();
  await vcsim?.stop();
});

describe('vSphere inventory', () => {
  it('finds objects by inventory path and answers undefined for a path that does not exist', async () => {
    const inventory = await vcsim.inventory();
    const cluster = await requireByInventoryPath(session, 'DC0/host/DC0_C0', 'cluster');
    expect(cluster.type).toBe('ClusterComputeResource');
    const pool = await requireByInventoryPath(session, 'DC0/host/DC0_C0/Resources', 'resource pool');
    expect(inventory.pools.map((p) => p.ref)).toContainEqual(pool);
    const datastore = await requireByInventoryPath(session, 'DC0/datastore/LocalDS_0', 'datastore');
    expect(datastore).toEqual(inventory.datastores[0]!.ref);
    expect(await findByInventoryPath(session, 'DC0/host/nope')).toBeUndefined();
    await expect(requireByInventoryPath(session, 'DC0/network/nope', 'network')).rejects.toThrow('network "DC0/network/nope" not found');
  });

  it('lists the children of a folder with their names', async () => {
    const dc = await requireByInventoryPath(session, 'DC0', 'datacenter');
    const root = await listChildren(session, session.serviceContent.rootFolder);
    expect(root).toEqual([{ ref: dc, name: 'DC0' }]);
    const networkFolder = await requireByInventoryPath(session, 'DC0/network', 'folder');
    const names = (await listChildren(session, networkFolder)).map((child) => child.name);
    expect(names).toEqual(expect.arrayContaining(['VM Network', 'DC0_DVPG0']));
  });

  it('reads typed properties, with numbers and arrays decoded', async () => {
    const host = await requireByInventoryPath(session, 'DC0/host/DC0_C0/DC0_C0_H0', 'host');
    const { props } = await retrieveOne(session, host, ['name', 'summary.hardware.numCpuCores', 'datastore']);
    expect(props.name).toBe('DC0_C0_H0');
    expect(typeof props['summary.hardware.numCpuCores']).toBe('number');
    expect(props.datastore).toEqual([expect.objectContaining({ type: 'Datastore' })]);
  });

  it('maps an unknown object to the ManagedObjectNotFound fault', async () => {
    const missing = { type: 'VirtualMachine', value: 'vm-does-not-exist' };
    const error = await destroyEntity(session, missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VimFault);
    expect(error).toMatchObject({ faultName: 'ManagedObjectNotFound' });
    expect((error as VimFault).detail.obj).toEqual(missing);
    expect((error as VimFault).message).toContain('vm-does-not-exist');
  });
});

describe('vSphere resource pools and vApps', () => {
  it('creates a pool with limits, reservations and shares, reads them back, updates and destroys it', async () => {
    const parent = await requireByInventoryPath(session, 'DC0/host/DC0_C0/Resources', 'resource pool');
    const pool = await createResourcePool(session, parent, 'vch-pool', {
      cpu: { reservation: 100, limit: 2000, shares: { level: 'high' } },
      memory: { reservation: 256, expandableReservation: false, limit: 4096, shares: { level: 'custom', shares: 777 } },
    });
    expect(pool.type).toBe('ResourcePool');
    expect(await findByInventoryPath(session, 'DC0/host/DC0_C0/Resources/vch-pool')).toEqual(pool);

    expect(await readResourceConfig(session, pool)).toEqual({
      cpu: { reservation: 100, expandableReservation: true, limit: 2000, shares: { level: 'high' } },
      memory: { reservation: 256, expandableReservation: false, limit: 4096, shares: { level: 'custom', shares: 777 } },
    });

    await updateResourceConfig(session, pool, { config: { cpu: { limit: 3000 }, memory: { limit: 8192 } } });
    const updated = await readResourceConfig(session, pool);
    expect(updated.cpu.limit).toBe(3000);
    expect(updated.memory.limit).toBe(8192);
    expect(updated.memory.reservation).toBe(256);

    await destroyEntity(session, pool);
    expect((await vcsim.inventory()).pools.map((p) => p.name)).not.toContain('vch-pool');
  });

  it('creates a vApp with its allocation and destroys it', async () => {
    const parent = await requireByInventoryPath(session, 'DC0/host/DC0_C0/Resources', 'resource pool');
    const vmFolder = await requireByInventoryPath(session, 'DC0/vm', 'folder');
    const vapp = await createVApp(session, parent, 'vch-vapp', {
      vmFolder,
      config: { cpu: { limit: 1500 }, memory: { reservation: 128 } },
    });
    expect(vapp.type).toBe('VirtualApp');
    const inventory = await vcsim.inventory();
    expect(inventory.vapps.map((v) => [v.ref, v.name])).toContainEqual([vapp, 'vch-vapp']);
    // vcsim does not list a new vApp in vmFolder, so it is found through the pool tree.
    expect(await listChildren(session, parent)).toContainEqual({ ref: vapp, name: 'vch-vapp' });

    const config = await readResourceConfig(session, vapp);
    expect(config.cpu.limit).toBe(1500);
    expect(config.memory.reservation).toBe(128);

    await destroyEntity(session, vapp);
    expect((await vcsim.inventory()).vapps.map((v) => v.name)).not.toContain('vch-vapp');
  });

  it('maps a duplicate pool name to the DuplicateName fault', async () => {
    const parent = await requireByInventoryPath(session, 'DC0/host/DC0_C0/Resources', 'resource pool');
    const pool = await createResourcePool(session, parent, 'twice');
    const error = await createResourcePool(session, parent, 'twice').catch((e: unknown) => e);
    expect(error).toMatchObject({ faultName: 'DuplicateName' });
    await destroyEntity(session, pool);
  });
});
