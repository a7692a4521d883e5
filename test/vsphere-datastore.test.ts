import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyVirtualDisk,
  createVirtualDisk,
  DatastoreTransferError,
  datastorePath,
  deleteDatastoreFile,
  deleteVirtualDisk,
  downloadFile,
  makeDirectory,
  moveDatastoreFile,
  parseDatastorePath,
  requireByInventoryPath,
  uploadFile,
  VimFault,
  VimSession,
  type MoRef,
} from '../packages/vsphere/src/index';
import { startVcsim, type Vcsim } from './support/vcsim';

let vcsim: Vcsim;
let session: VimSession;
let datacenter: MoRef;
/** The local directory vcsim backs LocalDS_0 with: the independent view of what landed on the datastore. */
let datastoreDir: string;

const exists = (file: string): Promise<boolean> => stat(file).then(() => true, () => false);

beforeAll(async () => {
  vcsim = await startVcsim();
  session = await VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
  datacenter = await requireByInventoryPath(session, 'DC0', 'datacenter');
  datastoreDir = (await vcsim.inventory()).datastores.find((ds) => ds.name === 'LocalDS_0')!.url;
});
afterAll(async () => {
  await session?.logout();
  await vcsim?.stop();
});

describe('vSphere datastore files', () => {
  it('formats and parses datastore paths', () => {
    expect(datastorePath('LocalDS_0', '/vic/a.iso')).toBe('[LocalDS_0] vic/a.iso');
    expect(datastorePath('LocalDS_0')).toBe('[LocalDS_0]');
    expect(parseDatastorePath('[datastore 1] vic/a.iso')).toEqual({ datastore: 'datastore 1', path: 'vic/a.iso' });
    expect(() => parseDatastorePath('vic/a.iso')).toThrow('invalid datastore path "vic/a.iso": expected "[datastore] path"');
  });

  it('makes directories, uploads and downloads real bytes, and deletes them', async () => {
    await makeDirectory(session, datastorePath('LocalDS_0', 'vch1/isos'), datacenter);
    expect(await exists(path.join(datastoreDir, 'vch1/isos'))).toBe(true);

    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const file = { datacenterPath: 'DC0', datastore: 'LocalDS_0', path: 'vch1/isos/bootstrap.iso' };
    await uploadFile(session, file, { stream: Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), size: bytes.length });
    expect((await readFile(path.join(datastoreDir, file.path))).equals(bytes)).toBe(true);

    const small = Buffer.from('guestinfo and friends\n');
    await uploadFile(session, { ...file, path: 'vch1/isos/name with space.txt' }, small);
    expect(await readFile(path.join(datastoreDir, 'vch1/isos/name with space.txt'))).toEqual(small);

    const downloaded = await buffer(await downloadFile(session, file));
    expect(downloaded.equals(bytes)).toBe(true);

    await deleteDatastoreFile(session, datastorePath('LocalDS_0', 'vch1'), datacenter);
    expect(await exists(path.join(datastoreDir, 'vch1'))).toBe(false);
    const missing = await downloadFile(session, file).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DatastoreTransferError);
    expect(missing).toMatchObject({ statusCode: 404 });
  });

  it('moves a file over another one only when forced', async () => {
    const file = (name: string) => ({ datacenterPath: 'DC0', datastore: 'LocalDS_0', path: `mv/${name}` });
    await makeDirectory(session, datastorePath('LocalDS_0', 'mv'), datacenter);
    await uploadFile(session, file('new'), Buffer.from('new bytes'));
    await uploadFile(session, file('old'), Buffer.from('old bytes'));
    const move = (force: boolean) => moveDatastoreFile(session, { from: datastorePath('LocalDS_0', 'mv/new'), to: datastorePath('LocalDS_0', 'mv/old'), datacenter, force });
    await expect(move(false)).rejects.toMatchObject({ faultName: 'FileAlreadyExists' });
    await move(true);
    expect(await readFile(path.join(datastoreDir, 'mv/old'), 'utf8')).toBe('new bytes');
    expect(await exists(path.join(datastoreDir, 'mv/new'))).toBe(false);
    await deleteDatastoreFile(session, datastorePath('LocalDS_0', 'mv'), datacenter);
  });

  it('maps deleting a missing file to the FileNotFound fault', async () => {
    const error = await deleteDatastoreFile(session, datastorePath('LocalDS_0', 'no/such/file'), datacenter).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VimFault);
    expect(error).toMatchObject({ faultName: 'FileNotFound' });
  });
});

describe('vSphere virtual disks', () => {
  it('creates, copies and deletes a virtual disk', async () => {
    await makeDirectory(session, datastorePath('LocalDS_0', 'disks'), datacenter);
    const original = datastorePath('LocalDS_0', 'disks/layer.vmdk');
    const copy = datastorePath('LocalDS_0', 'disks/container.vmdk');
    await createVirtualDisk(session, { path: original, capacityKb: 8 * 1024, datacenter });
    expect(await exists(path.join(datastoreDir, 'disks/layer.vmdk'))).toBe(true);

    await copyVirtualDisk(session, { from: original, to: copy, datacenter });
    expect(await exists(path.join(datastoreDir, 'disks/container.vmdk'))).toBe(true);

    const again = await createVirtualDisk(session, { path: original, capacityKb: 8 * 1024, datacenter }).catch((e: unknown) => e);
    expect(again).toMatchObject({ faultName: 'FileAlreadyExists' });

    await deleteVirtualDisk(session, copy, datacenter);
    await deleteVirtualDisk(session, original, datacenter);
    expect(await exists(path.join(datastoreDir, 'disks/layer.vmdk'))).toBe(false);
    expect(await exists(path.join(datastoreDir, 'disks/container.vmdk'))).toBe(false);
  });
});
