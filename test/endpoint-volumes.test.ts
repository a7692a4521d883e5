import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, cachedImage, tarOf, writeDockerArchive } from '@vic/sample-images';
import { startBusyboxVch, type BusyboxVch } from './support/busybox-vch';
import { dockerCli } from './support/docker-cli';
import { ensureVicMachineBuilt, exportedVariables, vicMachine } from './support/vic-machine';

/* Volumes and bind mounts with the real docker CLI: disks of their own that outlive containers and the endpoint, host directories over virtiofs. */

let vch: BusyboxVch;
let host: string;
const docker = (...args: string[]) => vch.docker(...args);
const ok = (...args: string[]) => vch.ok(...args);

async function volumeNames(...filters: string[]): Promise<string[]> {
  return (await ok('volume', 'ls', '-q', ...filters.flatMap((filter) => ['--filter', filter]))).trim().split('\n').filter(Boolean).sort();
}

async function inspectVolume(name: string): Promise<{ Name: string; Driver: string; Labels: Record<string, string>; Options: Record<string, string>; Mountpoint: string }> {
  return (JSON.parse(await ok('volume', 'inspect', name)) as never[])[0]!;
}

/** busybox plus a VOLUME at /srv/data that the image fills with a file of user 1000, mode 640. */
async function loadImageWithVolume(): Promise<void> {
  const busybox = await buildBusyboxImage();
  const image = await cachedImage('busybox-volume', busybox.configDigest, async () => ({
    layerTars: [
      gunzipSync(readFileSync(busybox.layers[0]!.path)),
      await tarOf([
        { name: 'srv/', type: 'directory', mode: 0o755 },
        { name: 'srv/data/', type: 'directory', mode: 0o750, uid: 1000, gid: 1000 },
        { name: 'srv/data/seed.txt', content: 'seeded by the image\n', mode: 0o640, uid: 1000, gid: 1000 },
      ]),
    ],
    config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'], Env: ['PATH=/bin'], Volumes: { '/srv/data': {} } } },
  }));
  const archive = join(host, 'busybox-volume.tar');
  await writeDockerArchive(image, 'busybox-volume:latest', archive);
  await ok('load', '-q', '-i', archive);
}

beforeAll(async () => {
  vch = await startBusyboxVch('endpoint-volumes');
  host = mkdtempSync(join(tmpdir(), 'vic-volumes-host-'));
}, 1_200_000);

afterAll(async () => {
  await vch?.close();
  if (host) rmSync(host, { recursive: true, force: true });
});

describe('a named volume', () => {
  it('keeps what one container wrote for the next across its removal and an endpoint restart; :ro refuses writes; one running container at a time; mount and unmount events', async () => {
    await ok('run', '--name', 'writer', '-v', 'shared:/data', 'busybox', 'sh', '-c', 'echo written by the first > /data/note && mkdir /data/sub && chown 1000:1000 /data/sub');
    await ok('rm', 'writer');
    await vch.restart();
    expect(await volumeNames()).toContain('shared');

    const since = String(Math.floor(Date.now() / 1000) - 1);
    const readerId = (await ok('run', '-d', '--name', 'reader', '-v', 'shared:/data:ro', 'busybox', 'sleep', '1000')).trim();
    const read = await docker('exec', 'reader', 'sh', '-c', 'cat /data/note; stat -c %u:%g /data/sub; echo more > /data/other');
    expect(read.stdout).toBe('written by the first\n1000:1000\n');
    expect(read.stderr).toContain("can't create /data/other: Read-only file system");
    expect(read.code).toBe(1);

    // One disk, one VM: a second running container would corrupt the file system.
    const second = await docker('run', '--rm', '-v', 'shared:/data', 'busybox', 'true');
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`volume shared is attached to container ${readerId}, which is running or being copied`);
    await ok('rm', '-f', 'reader');
    const events = await ok('events', '--since', since, '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=volume', '--filter', 'volume=shared', '--format', '{{.Action}}');
    expect(events.trim().split('\n')).toEqual(['mount', 'unmount']);
  });

  it('takes docker cp into a stopped container\'s volume and host directory, where its process then finds the files', async () => {
    const hostDir = join(host, 'cp-target');
    mkdirSync(hostDir);
    writeFileSync(join(host, 'into-volume.txt'), 'copied into the volume\n');
    await ok('create', '--name', 'copied', '-v', 'copyvol:/data', '-v', `${hostDir}:/hostdir`, 'busybox', 'cat', '/data/into-volume.txt', '/hostdir/into-volume.txt');
    await ok('cp', join(host, 'into-volume.txt'), 'copied:/data/');
    await ok('cp', join(host, 'into-volume.txt'), 'copied:/hostdir/');
    expect(readFileSync(join(hostDir, 'into-volume.txt'), 'utf8')).toBe('copied into the volume\n');
    expect(await ok('start', '-a', 'copied')).toBe('copied into the volume\ncopied into the volume\n');
    await ok('rm', 'copied');
    await ok('volume', 'rm', 'copyvol');
  });

  it('starts with what the image has at its path, owners kept', async () => {
    const listing = await ok('run', '--rm', '-v', 'homes:/home', 'busybox', 'sh', '-c', 'stat -c "%n %u:%g %a" /home/vic; ls -A /home');
    expect(listing).toBe('/home/vic 1000:1000 755\nvic\n');
  });
});

describe('an image\'s VOLUME', () => {
  it('gets an anonymous volume holding the image\'s files, which run --rm removes with the container', async () => {
    await loadImageWithVolume();
    const before = await volumeNames();
    const seen = await ok('run', '--rm', 'busybox-volume', 'sh', '-c', 'cat /srv/data/seed.txt; stat -c "%u:%g %a" /srv/data/seed.txt /srv/data; mount | grep -c " /srv/data "');
    expect(seen).toBe('seeded by the image\n1000:1000 640\n1000:1000 750\n1\n');
    expect(await volumeNames()).toEqual(before);
  });
});

describe('docker rm -v', () => {
  it('removes the anonymous volumes of a container and keeps its named ones', async () => {
    await ok('create', '--name', 'twovolumes', '-v', '/anonymous', '-v', 'named:/named', '--mount', 'type=volume,target=/also-anonymous', 'busybox', 'true');
    const mounts = JSON.parse(await ok('inspect', '-f', '{{json .Mounts}}', 'twovolumes')) as { Type: string; Name: string; Destination: string; RW: boolean }[];
    expect(mounts.map((mount) => mount.Destination).sort()).toEqual(['/also-anonymous', '/anonymous', '/named']);
    const anonymous = mounts.filter((mount) => mount.Destination !== '/named').map((mount) => mount.Name);
    expect(anonymous.every((name) => /^[0-9a-f]{64}$/.test(name))).toBe(true);
    expect(await volumeNames()).toEqual(expect.arrayContaining([...anonymous, 'named']));
    expect(await ok('ps', '-a', '--filter', 'volume=named', '--format', '{{.Names}}')).toBe('twovolumes\n');
    expect(await ok('ps', '-a', '--filter', 'volume=/anonymous', '--format', '{{.Names}}')).toBe('twovolumes\n');
    expect(await ok('ps', '-a', '--filter', 'volume=elsewhere', '--format', '{{.Names}}')).toBe('');

    await ok('rm', '-v', 'twovolumes');
    const left = await volumeNames();
    expect(left).toContain('named');
    for (const name of anonymous) expect(left).not.toContain(name);
  });

  it('has nothing to remove after a create that was refused', async () => {
    const before = await volumeNames();
    // Parents mount first: the anonymous volume at /first is made before the refused one.
    const refused = await docker('create', '--mount', 'type=volume,target=/first', '--mount', 'type=volume,source=odd,target=/odd/deeper,volume-driver=nfs', 'busybox', 'true');
    expect(refused.stderr).toContain('plugin "nfs" not found');
    expect(await volumeNames()).toEqual(before);
    expect((await ok('ps', '-aq')).trim()).toBe('');
  });

  it('without -v leaves every volume', async () => {
    await ok('create', '--name', 'keeper', '-v', '/kept-anonymous', 'busybox', 'true');
    const [name] = (await ok('inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'keeper')).trim().split('\n');
    await ok('rm', 'keeper');
    expect(await volumeNames()).toContain(name);
    await ok('volume', 'rm', name!);
  });
});

describe('docker volume', () => {
  it('refuses to remove a volume a container has, even a stopped one, with dockerd\'s words', async () => {
    const id = (await ok('create', '--name', 'user', '-v', 'busy:/busy', 'busybox', 'true')).trim();
    for (const args of [['volume', 'rm', 'busy'], ['volume', 'rm', '-f', 'busy']]) {
      const refused = await docker(...args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`Error response from daemon: remove busy: volume is in use - [${id}]`);
    }
    await ok('rm', 'user');
    await ok('volume', 'rm', 'busy');
    const missing = await docker('volume', 'rm', 'busy');
    expect(missing.stderr).toContain('no such volume');
  });

  it('gives --volumes-from the other container\'s volumes, read-only with :ro, and counts both as users', async () => {
    const source = (await ok('create', '--name', 'data-holder', '-v', 'inherited:/from', '-v', '/also', 'busybox', 'true')).trim();
    const consumer = (await ok('create', '--name', 'consumer', '--volumes-from', 'data-holder:ro', '-v', 'replacing:/also', 'busybox', 'true')).trim();
    const mounts = JSON.parse(await ok('inspect', '-f', '{{json .Mounts}}', 'consumer')) as { Name: string; Destination: string; RW: boolean }[];
    expect(mounts.map(({ Name, Destination, RW }) => ({ Name, Destination, RW })).sort((a, b) => a.Destination.localeCompare(b.Destination))).toEqual([
      { Name: 'replacing', Destination: '/also', RW: true },
      { Name: 'inherited', Destination: '/from', RW: false },
    ]);
    const refused = await docker('volume', 'rm', 'inherited');
    expect(refused.stderr).toMatch(new RegExp(`volume is in use - \\[(${source}, ${consumer}|${consumer}, ${source})\\]`));
    expect((await docker('create', '--volumes-from', 'nobody', 'busybox', 'true')).stderr).toContain('No such container: nobody');
    await ok('rm', '-v', 'consumer', 'data-holder');
    await ok('volume', 'rm', 'inherited', 'replacing');
  });

  it('creates with labels and a capacity, lists with filters, inspects', async () => {
    await ok('volume', 'create', '--label', 'tier=db', '-o', 'Capacity=64MB', 'sized');
    await ok('volume', 'create', '--driver', 'vsphere', 'other');
    const sized = await inspectVolume('sized');
    expect(sized).toMatchObject({ Name: 'sized', Driver: 'local', Labels: { tier: 'db' }, Options: { Capacity: '64MB' } });
    expect(statSync(sized.Mountpoint).size).toBe(64 * 1024 * 1024);
    expect(await volumeNames('label=tier=db')).toEqual(['sized']);
    expect(await volumeNames('driver=vsphere')).toEqual(['other']);
    expect(await volumeNames('name=^siz')).toEqual(['sized']);
    await ok('create', '--name', 'holder', '-v', 'other:/other', 'busybox', 'true');
    expect(await volumeNames('dangling=false')).toEqual(['other']);
    expect(await volumeNames('dangling=true')).toContain('sized');
    const usage = (await ok('system', 'df', '-v', '--format', '{{json .Volumes}}')).trim();
    const other = (JSON.parse(usage) as { Name: string; Links: string; Size: string }[]).find((volume) => volume.Name === 'other');
    expect(other).toMatchObject({ Links: '1' });
    expect(other!.Size).toMatch(/^\d+(\.\d+)?[kM]?B$/);
    await ok('rm', 'holder');

    const wrongCapacity = await docker('volume', 'create', '-o', 'Capacity=lots', 'bad');
    expect(wrongCapacity.stderr).toContain('invalid Capacity "lots"');
    const wrongName = await docker('volume', 'create', 'a/b');
    expect(wrongName.stderr).toContain('includes invalid characters for a local volume name');
    const wrongDriver = await docker('volume', 'create', '--driver', 'nfs', 'cc');
    expect(wrongDriver.stderr).toContain('plugin "nfs" not found');
    expect((await docker('volume', 'inspect', 'nothere')).stderr).toContain('no such volume');
  });

  it('prunes unused anonymous volumes, and named ones too with --all', async () => {
    await ok('create', '--name', 'anon-holder', '-v', '/held', 'busybox', 'true');
    await ok('create', '--name', 'anon-dropped', '-v', '/dropped', 'busybox', 'true');
    const held = (await ok('inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'anon-holder')).trim();
    const dropped = (await ok('inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'anon-dropped')).trim();
    await ok('rm', 'anon-dropped');
    await ok('volume', 'create', 'unused-named');

    const pruned = await ok('volume', 'prune', '-f');
    expect(pruned).toContain(dropped);
    expect(pruned).not.toContain('unused-named');
    expect(await volumeNames()).toEqual(expect.arrayContaining([held, 'unused-named']));

    await ok('volume', 'prune', '-f', '--all');
    const left = await volumeNames();
    expect(left).toContain(held);
    expect(left).not.toContain('unused-named');
    await ok('rm', '-v', 'anon-holder');
    expect(await volumeNames()).not.toContain(held);
  });
});

describe('a host directory', () => {
  it('is shared both ways with -v /host/dir:/path, and :ro holds even against a remount in the VM', async () => {
    const dir = join(host, 'shared');
    const readOnly = join(host, 'read-only');
    mkdirSync(dir);
    mkdirSync(readOnly);
    writeFileSync(join(dir, 'from-host.txt'), 'written on the host\n');
    writeFileSync(join(readOnly, 'kept.txt'), 'only to read\n');
    const script = [
      'cat /mnt/host/from-host.txt && echo written in the container > /mnt/host/from-container.txt',
      'cat /mnt/ro/kept.txt',
      'echo no > /mnt/ro/kept.txt || echo refused',
      // The container is root in its VM: a guest-side ro flag alone would not hold.
      'mount -o remount,rw /mnt/ro; echo no > /mnt/ro/kept.txt || echo refused again',
    ].join('; ');
    const seen = await vch.docker('run', '--rm', '-v', `${dir}:/mnt/host`, '-v', `${readOnly}:/mnt/ro:ro`, 'busybox', 'sh', '-c', script);
    expect(seen.stdout).toBe('written on the host\nonly to read\nrefused\nrefused again\n');
    expect(readFileSync(join(dir, 'from-container.txt'), 'utf8')).toBe('written in the container\n');
    expect(readFileSync(join(readOnly, 'kept.txt'), 'utf8')).toBe('only to read\n');
  });

  it('is made for -v when missing, and refused for --mount as dockerd does', async () => {
    const made = join(host, 'made-by-v');
    await ok('create', '--name', 'binder', '-v', `${made}:/x`, 'busybox', 'true');
    expect(statSync(made).isDirectory()).toBe(true);
    const mounts = JSON.parse(await ok('inspect', '-f', '{{json .Mounts}}', 'binder')) as unknown[];
    expect(mounts).toEqual([{ Type: 'bind', Source: made, Destination: '/x', Mode: '', RW: true, Propagation: 'rprivate' }]);
    await ok('rm', 'binder');

    const missing = join(host, 'missing');
    const refused = await docker('create', '--mount', `type=bind,source=${missing},target=/x`, 'busybox', 'true');
    expect(refused.stderr).toContain(`invalid mount config for type "bind": bind source path does not exist: ${missing}`);
    expect(existsSync(missing)).toBe(false);
  });
});

describe('vic-machine --volume-store', () => {
  it('puts each volume\'s disk in the store its VolumeStore option names, "default" otherwise, and keeps them when the VCH is deleted', async () => {
    await ensureVicMachineBuilt();
    const stateRoot = join(host, 'vchs');
    const [fast, standard] = [join(host, 'stores', 'fast'), join(host, 'stores', 'standard')];
    const created = await vicMachine(stateRoot, 'create', '--name', 'stores', '--no-tls', '--port', '0', '--volume-store', `${fast}:fast`, '--volume-store', `${standard}:default`);
    expect(created.code, created.stderr).toBe(0);
    const dockerHost = exportedVariables(created.stdout).DOCKER_HOST!;
    const cli = async (...args: string[]) => dockerCli(dockerHost, join(host, 'stores-docker-config'), args);
    try {
      expect((await cli('volume', 'create', '-o', 'VolumeStore=fast', 'quick')).code).toBe(0);
      expect((await cli('volume', 'create', 'plain')).code).toBe(0);
      const mountpoints = await cli('volume', 'inspect', '-f', '{{.Mountpoint}}', 'quick', 'plain');
      expect(mountpoints.stdout).toBe(`${join(fast, 'quick.ext4')}\n${join(standard, 'plain.ext4')}\n`);
      const unknown = await cli('volume', 'create', '-o', 'VolumeStore=slow', 'lost');
      expect(unknown.stderr).toContain('no volume store named "slow"; this VCH has default, fast');
      expect((await vicMachine(stateRoot, 'inspect', '--name', 'stores')).stdout).toContain(`volume store fast: ${fast}`);
    } finally {
      expect((await vicMachine(stateRoot, 'delete', '--name', 'stores')).code).toBe(0);
    }
    expect(existsSync(join(fast, 'quick.ext4'))).toBe(true);

    const malformed = await vicMachine(stateRoot, 'create', '--name', 'bad', '--no-tls', '--volume-store', 'relative/dir:fast');
    expect(malformed.stderr).toContain('--volume-store "relative/dir:fast" is not DIR:LABEL');
  });
});

describe('with live restore', () => {
  /** Read-only views of host directories (see read-only-view.ts) mounted on this host now. */
  const readOnlyViews = () => readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((line) => line.includes(' /tmp/vic-ro-'));

  it('keeps a running container\'s volume and host directories served across an endpoint restart, and cleans up after it', async () => {
    const viewsBefore = readOnlyViews();
    const live = await startBusyboxVch('volumes-live', { liveRestore: true });
    try {
      const [shared, readOnly] = [join(host, 'live-shared'), join(host, 'live-ro')];
      mkdirSync(shared);
      mkdirSync(readOnly);
      writeFileSync(join(readOnly, 'fixed.txt'), 'fixed\n');
      await live.ok('run', '-d', '--name', 'survivor', '-v', `${shared}:/shared`, '-v', `${readOnly}:/ro:ro`, '-v', 'livevol:/vol', 'busybox', 'sleep', '1000');
      expect(readOnlyViews()).toHaveLength(viewsBefore.length + 1);
      await live.restart();

      const after = await live.docker('exec', 'survivor', 'sh', '-c', 'echo after the restart > /shared/out.txt; cat /ro/fixed.txt; echo x > /ro/fixed.txt || echo refused; echo kept > /vol/v; cat /vol/v');
      expect(after.stdout).toBe('fixed\nrefused\nkept\n');
      expect(readFileSync(join(shared, 'out.txt'), 'utf8')).toBe('after the restart\n');

      await live.ok('rm', '-f', 'survivor');
      const deadline = Date.now() + 30_000;
      while (readOnlyViews().length > viewsBefore.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      expect(readOnlyViews()).toEqual(viewsBefore);
    } finally {
      await live.close();
    }
  });
});
