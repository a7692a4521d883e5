import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createResourcePool,
  createVm,
  deviceConfigSpec,
  destroyEntity,
  destroyVm,
  networkSerialPort,
  powerOffVm,
  powerOnVm,
  readVm,
  requireByInventoryPath,
  VimSession,
} from '../packages/vsphere/src/index';
import { startVcsim, type Vcsim } from './support/vcsim';

/* The same client against a standalone ESXi host (vcsim -esx): HostAgent API, ha-datacenter, no vCenter. */

let vcsim: Vcsim;
let session: VimSession;

beforeAll(async () => {
  vcsim = await startVcsim({ inventory: ['-esx', '-vm', '0'] });
  session = await VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
});
afterAll(async () => {
  await session?.logout();
  await vcsim?.stop();
});

describe('vSphere client on ESXi', () => {
  it('logs in to a HostAgent and finds the ha-datacenter inventory', async () => {
    expect(session.serviceContent.about.apiType).toBe('HostAgent');
    const datastore = await requireByInventoryPath(session, 'ha-datacenter/datastore/LocalDS_0', 'datastore');
    expect(datastore.type).toBe('Datastore');
  });

  it('creates a pool, and a VM in it with a network serial port, and powers it on', async () => {
    const folder = await requireByInventoryPath(session, 'ha-datacenter/vm', 'folder');
    const root = await requireByInventoryPath(session, 'ha-datacenter/host/localhost.localdomain/Resources', 'resource pool');
    const pool = await createResourcePool(session, root, 'vch', { memory: { limit: 2048 } });
    const vm = await createVm(
      session,
      { folder, pool },
      {
        name: 'esx-c1',
        guestId: 'otherGuest64',
        vmPathName: '[LocalDS_0]',
        memoryMB: 64,
        deviceChange: [deviceConfigSpec('add', networkSerialPort({ key: -1, uri: 'tcp://192.168.1.2:2377', direction: 'client' }))],
        extraConfig: { 'guestinfo.vic.id': 'esx-c1' },
      },
    );
    await powerOnVm(session, vm);
    expect(await readVm(session, vm)).toMatchObject({ powerState: 'poweredOn', extraConfig: expect.objectContaining({ 'guestinfo.vic.id': 'esx-c1' }) });
    const seen = (await vcsim.inventory()).vms.find((candidate) => candidate.name === 'esx-c1');
    expect(seen?.resourcePool).toEqual(pool);
    await powerOffVm(session, vm);
    await destroyVm(session, vm);
    await destroyEntity(session, pool);
    const after = await vcsim.inventory();
    expect(after.vms.map((candidate) => candidate.name)).not.toContain('esx-c1');
    expect(after.pools.map((candidate) => candidate.name)).not.toContain('vch');
  });
});
