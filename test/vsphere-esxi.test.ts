import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createResourcePool,
  createVm,
  deviceConfigSpec,
  destroyEntity,
  destroyVm,
  downloadFile,
  makeDirectory,
  networkSerialPort,
  powerOffVm,
  powerOnVm,
  readVm,
  requireByInventoryPath,
  uploadFile,
  VimSession,
} from '../packages/vsphere/src/index';
import { checkVspherePrerequisites } from '../apps/vic-machine/src/vsphere/prerequisites';
import { parseVsphereTarget } from '../apps/vic-machine/src/vsphere/vsphere-target';
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

  it('moves files over /folder with the ha-datacenter path', async () => {
    await makeDirectory(session, '[LocalDS_0] vch');
    const file = { datacenterPath: 'ha-datacenter', datastore: 'LocalDS_0', path: 'vch/config.json' };
    const bytes = Buffer.from(JSON.stringify({ name: 'vch', serial: 'tcp://192.168.1.2:2377' }));
    await uploadFile(session, file, bytes);
    const chunks: Buffer[] = [];
    for await (const chunk of await downloadFile(session, file)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  });

  it('passes vic-machine prerequisites with the host as the only compute resource', async () => {
    const target = parseVsphereTarget({ target: `${vcsim.username}:${vcsim.password}@${vcsim.host}:${vcsim.port}` });
    const environment = await checkVspherePrerequisites(target, { force: true });
    expect(environment.apiType).toBe('HostAgent');
    expect(environment.datacenter.path).toBe('ha-datacenter');
    expect(environment.pool.path).toBe('ha-datacenter/host/localhost.localdomain/Resources');
    expect(environment.imageStore.path).toBe('LocalDS_0');
    expect(environment.publicNetwork.path).toBe('VM Network');
    await environment.session.logout();
  });
});
