import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireByInventoryPath, uploadFile, VimSession } from '../packages/vsphere/src/index';
import { downloadExtent, replaceExtent } from '../apps/endpoint/src/portlayer/vsphere/extent-transfer';
import type { VsphereTarget } from '../apps/endpoint/src/portlayer/vsphere/vsphere-target';
import { startVcsim, type Vcsim } from './support/vcsim';

/*
 * How `docker cp`/`export` of a stopped container on vSphere move a disk's bytes: a flat extent
 * downloaded over the datastore HTTP interface into a sparse local file, and replaced whole on the
 * datastore. vcsim's datastore directory is the independent view of what landed there.
 */

let vcsim: Vcsim;
let session: VimSession;
let target: VsphereTarget;
let datastoreDir: string;
let work: string;

const MIB = 1024 * 1024;

/** 8 MiB of zeros with a little data at 1 MiB and at the very end. */
function diskImage(marker: string): Buffer {
  const bytes = Buffer.alloc(8 * MIB);
  bytes.write(marker, MIB);
  bytes.write('tail', bytes.length - 4);
  return bytes;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-extent-'));
  vcsim = await startVcsim();
  session = await VimSession.login({ url: vcsim.url, username: vcsim.username, password: vcsim.password, certificate: { kind: 'insecure' } });
  const datacenter = await requireByInventoryPath(session, 'DC0', 'datacenter');
  target = { session, datacenterPath: 'DC0', datacenter, vmFolder: datacenter, pool: datacenter, datastore: 'LocalDS_0', storeFolder: 'vch-x', channelHost: '127.0.0.1' };
  datastoreDir = (await vcsim.inventory()).datastores.find((ds) => ds.name === 'LocalDS_0')!.url;
  mkdirSync(join(datastoreDir, 'vch-x'), { recursive: true });
});
afterAll(async () => {
  await session?.logout();
  await vcsim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('flat extents between the datastore and the host', () => {
  it('downloads an extent into a sparse local file with the same bytes', async () => {
    const original = diskImage('first');
    await uploadFile(session, { datacenterPath: 'DC0', datastore: 'LocalDS_0', path: 'vch-x/rw-flat.vmdk' }, original);
    const local = join(work, 'rw.img');
    await downloadExtent(target, 'rw-flat.vmdk', local);
    expect(readFileSync(local).equals(original)).toBe(true);
    // Only the blocks holding data are allocated: far less than the 8 MiB the file spans.
    expect(statSync(local).blocks * 512).toBeLessThan(MIB);
  });

  it('replaces an extent whole and leaves nothing beside it', async () => {
    const local = join(work, 'rw.img');
    const changed = diskImage('second');
    writeFileSync(local, changed);
    await replaceExtent(target, 'rw-flat.vmdk', local);
    expect(readFileSync(join(datastoreDir, 'vch-x/rw-flat.vmdk')).equals(changed)).toBe(true);
    expect(existsSync(join(datastoreDir, 'vch-x/rw-flat.vmdk.partial'))).toBe(false);
  });

  it('leaves the extent as it was when an upload breaks off', async () => {
    const before = readFileSync(join(datastoreDir, 'vch-x/rw-flat.vmdk'));
    // A directory: its size can be read, its bytes cannot, so the upload fails after it began.
    const unreadable = join(work, 'not-a-file');
    mkdirSync(unreadable);
    await expect(replaceExtent(target, 'rw-flat.vmdk', unreadable)).rejects.toThrow();
    expect(readFileSync(join(datastoreDir, 'vch-x/rw-flat.vmdk')).equals(before)).toBe(true);
    expect((await vcsim.calls()).filter((call) => call.method === 'MoveDatastoreFile_Task')).toHaveLength(1); // the earlier, complete one
  });
});
