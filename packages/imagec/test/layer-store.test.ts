import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarOf, type TarEntry } from '@vic/sample-images';
import { LayerStore } from '../src/layers/layer-store';
import { gzipLayer, sha256 } from './support/layer-tar';

/* Real tar streams, real mkfs.erofs, real loop mounts (read-only) to look inside the disks. Runs as root. */

let work: string;

function blobFile(name: string, bytes: Buffer): string {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return path;
}

/** Mounts a layer disk read-only, runs `check` on the mount point, unmounts. */
function inspectDisk<T>(diskPath: string, check: (mountPoint: string) => T): T {
  const mountPoint = mkdtempSync(join(work, 'mnt-'));
  execFileSync('mount', ['-t', 'erofs', '-o', 'loop,ro', diskPath, mountPoint]);
  try {
    return check(mountPoint);
  } finally {
    execFileSync('umount', [mountPoint]);
  }
}

function xattr(path: string, name: string): string {
  return xattrBytes(path, name).toString();
}

function xattrBytes(path: string, name: string): Buffer {
  return execFileSync('getfattr', ['--only-values', '-h', '-n', name, path]);
}

const everyKind: TarEntry[] = [
  { name: 'etc/', type: 'directory', mode: 0o755 },
  { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n', mode: 0o644 },
  { name: 'etc/hard', type: 'link', linkname: 'etc/passwd' },
  { name: 'etc/rel-link', type: 'symlink', linkname: 'passwd' },
  { name: 'etc/abs-link', type: 'symlink', linkname: '/etc/passwd' },
  { name: 'opt/owned', content: 'secret\n', mode: 0o640, uid: 1234, gid: 5678 },
  { name: 'opt/setuid', content: '#!/bin/sh\n', mode: 0o4755 },
  { name: 'opt/xattr', content: 'x\n', mode: 0o644, pax: { 'SCHILY.xattr.user.vic': 'layer2' } },
  { name: 'opt/fifo', type: 'fifo', mode: 0o600 },
  { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
  { name: 'readonly/', type: 'directory', mode: 0o555 },
  { name: 'readonly/inside', content: 'still written\n', mode: 0o444 },
  { name: 'etc/.wh.shadow', content: '' },
  { name: 'var/lib/.wh..wh..opq', content: '' },
  { name: 'var/lib/new', content: 'new\n' },
];

describe('layer store: each layer becomes one read-only erofs disk in overlayfs format', () => {
  let store: LayerStore;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vic-layer-store-'));
    store = await LayerStore.open(join(work, 'store'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('keeps every entry kind, converts whiteouts and opaque markers, and records the layer', async () => {
    const layer = await gzipLayer(everyKind);
    const imported = await store.importLayer({ diffId: layer.diffId, blobPath: blobFile('every.tar.gz', layer.blob), compression: 'gzip' });
    if (!imported.ok) throw new Error(imported.error.message);
    expect(imported.value).toMatchObject({ diffId: layer.diffId, fstype: 'erofs', contentBytes: 26 + 7 + 10 + 2 + 14 + 4 });
    inspectDisk(imported.value.diskPath, (root) => {
      expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n');
      expect(statSync(join(root, 'etc/hard')).ino).toBe(statSync(join(root, 'etc/passwd')).ino);
      expect(statSync(join(root, 'etc/passwd')).nlink).toBe(2);
      expect(readlinkSync(join(root, 'etc/rel-link'))).toBe('passwd');
      expect(readlinkSync(join(root, 'etc/abs-link'))).toBe('/etc/passwd');
      const owned = statSync(join(root, 'opt/owned'));
      expect([owned.uid, owned.gid, owned.mode & 0o7777]).toEqual([1234, 5678, 0o640]);
      expect(statSync(join(root, 'opt/setuid')).mode & 0o7777).toBe(0o4755);
      expect(statSync(join(root, 'opt/owned')).mtime.getTime()).toBe(1_000_000_000_000);
      expect(xattr(join(root, 'opt/xattr'), 'user.vic')).toBe('layer2');
      expect(lstatSync(join(root, 'opt/fifo')).isFIFO()).toBe(true);
      const devNull = lstatSync(join(root, 'dev/null'));
      expect([devNull.isCharacterDevice(), devNull.rdev]).toEqual([true, (1 << 8) | 3]);
      expect(statSync(join(root, 'readonly')).mode & 0o777).toBe(0o555);
      expect(readFileSync(join(root, 'readonly/inside'), 'utf8')).toBe('still written\n');
      const whiteout = lstatSync(join(root, 'etc/shadow'));
      expect([whiteout.isCharacterDevice(), whiteout.rdev]).toEqual([true, 0]);
      expect(xattr(join(root, 'var/lib'), 'trusted.overlay.opaque')).toBe('y');
      expect(readdirSync(join(root, 'etc')).filter((name) => name.startsWith('.wh.'))).toEqual([]);
      expect(existsSync(join(root, 'var/lib/.wh..wh..opq'))).toBe(false);
    });
    const reopened = await LayerStore.open(join(work, 'store'));
    expect(reopened.get(layer.diffId)).toEqual(imported.value);
  });

  it('keeps binary extended attributes byte for byte, as GNU tar writes them', async () => {
    // tar-stream cannot write binary PAX values, so GNU tar makes this layer from real files.
    const tree = mkdtempSync(join(work, 'binary-xattrs-'));
    const capability = '0100000200200000000000000000000000000000'; // cap_net_raw+ep, as setcap writes it
    const oddName = 'bin/odd name=\\x';
    mkdirSync(join(tree, 'bin'));
    for (const name of ['bin/ping', oddName]) writeFileSync(join(tree, name), '#!/bin/sh\n', { mode: 0o755 });
    execFileSync('setfattr', ['-n', 'security.capability', '-v', `0x${capability}`, join(tree, 'bin/ping')]);
    execFileSync('setfattr', ['-n', 'user.binary', '-v', '0xff00fe0a80', join(tree, oddName)]);
    execFileSync('chown', ['1000:1000', join(tree, 'bin/ping')]);
    execFileSync('setfattr', ['-n', 'security.capability', '-v', `0x${capability}`, join(tree, 'bin/ping')]); // chown cleared it
    const tar = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', tree, '-cf', '-', 'bin'], { maxBuffer: 1 << 24 });
    const imported = await store.importLayer({ diffId: sha256(tar), blobPath: blobFile('binary-xattrs.tar', tar), compression: 'none' });
    if (!imported.ok) throw new Error(imported.error.message);
    inspectDisk(imported.value.diskPath, (root) => {
      expect(xattrBytes(join(root, 'bin/ping'), 'security.capability').toString('hex')).toBe(capability);
      expect(statSync(join(root, 'bin/ping')).uid).toBe(1000);
      expect(xattrBytes(join(root, oddName), 'user.binary').toString('hex')).toBe('ff00fe0a80');
    });
  });

  it.each([
    ['a .. that climbs out', [{ name: '../etc/passwd', content: 'x' }], 'entry "../etc/passwd" would be written outside the layer root'],
    ['a .. in the middle', [{ name: 'a/../../b', content: 'x' }], 'entry "a/../../b" would be written outside the layer root'],
    [
      'a path through a symlink of this layer',
      [
        { name: 'escape', type: 'symlink' as const, linkname: '/etc' },
        { name: 'escape/passwd', content: 'x' },
      ],
      'entry "escape/passwd" would be written through the symlink "escape", outside the layer root',
    ],
    ['a hard link to a file outside', [{ name: 'h', type: 'link' as const, linkname: '../../etc/shadow' }], 'is a hard link to "../../etc/shadow", which is not a file earlier in this layer'],
  ])('refuses %s, naming the entry, and stores nothing', async (_kind, entries, message) => {
    const tar = await tarOf(entries as TarEntry[]);
    const result = await store.importLayer({ diffId: sha256(tar), blobPath: blobFile('escape.tar', tar), compression: 'none' });
    expect(result.ok || result.error.message).toContain(message);
    expect(store.get(sha256(tar))).toBeUndefined();
    expect(readdirSync(join(work, 'store', 'tmp'))).toEqual([]);
  });

  it('refuses content whose digest is not the diffID, and a truncated blob', async () => {
    const layer = await gzipLayer([{ name: 'a', content: 'a\n' }]);
    const wrongId = sha256(Buffer.from('something else'));
    const mismatch = await store.importLayer({ diffId: wrongId, blobPath: blobFile('a.tar.gz', layer.blob), compression: 'gzip' });
    expect(mismatch.ok || mismatch.error.message).toBe(`layer content has digest ${layer.diffId}, not the diffID ${wrongId} the image config names`);
    const truncated = await store.importLayer({ diffId: layer.diffId, blobPath: blobFile('cut.tar.gz', layer.blob.subarray(0, layer.blob.length - 12)), compression: 'gzip' });
    expect(truncated.ok || truncated.error.message).toMatch(/invalid tar: unexpected end of file/);
    expect(store.list().map((l) => l.diffId)).not.toContain(layer.diffId);
    const retried = await store.importLayer({ diffId: layer.diffId, blobPath: blobFile('a.tar.gz', layer.blob), compression: 'gzip' });
    expect(retried.ok).toBe(true);
  });

  it('reads zstd and uncompressed blobs', async () => {
    const tar = await tarOf([{ name: 'zstd-file', content: 'z\n' }]);
    const zstdPath = blobFile('z.tar', tar);
    execFileSync('zstd', ['-q', '-f', zstdPath, '-o', `${zstdPath}.zst`]);
    const viaZstd = await store.importLayer({ diffId: sha256(tar), blobPath: `${zstdPath}.zst`, compression: 'zstd' });
    expect(viaZstd.ok).toBe(true);
  });

  it('converts a layer once: a second import and concurrent imports share the disk', async () => {
    const layer = await gzipLayer([{ name: 'shared', content: 'shared\n' }]);
    const path = blobFile('shared.tar.gz', layer.blob);
    const [first, second] = await Promise.all([
      store.importLayer({ diffId: layer.diffId, blobPath: path, compression: 'gzip' }),
      store.importLayer({ diffId: layer.diffId, blobPath: path, compression: 'gzip' }),
    ]);
    expect(first).toBe(second);
    const third = await store.importLayer({ diffId: layer.diffId, blobPath: path, compression: 'gzip' });
    expect(third.ok && first.ok && third.value.diskPath).toBe(first.ok && first.value.diskPath);
  });

  it('unpacks in the store itself when the scratch tmpfs fails for the host\'s reasons', async () => {
    const scratch = join(work, 'inode-starved-scratch');
    mkdirSync(scratch);
    // Room enough by size, so the store picks it, but only a few inodes: the unpack runs out.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512m,nr_inodes=4', 'tmpfs', scratch]);
    try {
      const layer = await gzipLayer(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({ name: `dir/${name}`, content: `${name}\n` })));
      const scratchStore = await LayerStore.open(join(work, 'scratch-store'), { scratchDir: scratch });
      const imported = await scratchStore.importLayer({ diffId: layer.diffId, blobPath: blobFile('six.tar.gz', layer.blob), compression: 'gzip' });
      expect(imported.ok || imported.error.message).toBe(true);
      expect(readdirSync(scratch)).toEqual([]);
      inspectDisk(imported.ok ? imported.value.diskPath : '', (root) => expect(readdirSync(join(root, 'dir'))).toEqual(['a', 'b', 'c', 'd', 'e', 'f']));
    } finally {
      execFileSync('umount', [scratch]);
    }
  });

  it('removes a layer by one rename, and it stays gone after reopening', async () => {
    const layer = await gzipLayer([{ name: 'doomed', content: 'x\n' }]);
    const imported = await store.importLayer({ diffId: layer.diffId, blobPath: blobFile('doomed.tar.gz', layer.blob), compression: 'gzip' });
    if (!imported.ok) throw new Error(imported.error.message);
    await store.remove(layer.diffId);
    expect(existsSync(imported.value.diskPath)).toBe(false);
    expect((await LayerStore.open(join(work, 'store'))).get(layer.diffId)).toBeUndefined();
  });

  it('a full disk fails with ENOSPC naming the layer, keeps nothing, and a retry after freeing space works', async () => {
    const small = join(work, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small]);
    try {
      const big = await gzipLayer([{ name: 'big', content: Buffer.alloc(6 * 1024 * 1024, 7) }]);
      const blob = blobFile('big.tar.gz', big.blob);
      // Unpacked in memory, the disk does not fit; unpacked on the full file system, the files do not.
      for (const scratchDir of ['/dev/shm', null]) {
        const tinyStore = await LayerStore.open(join(small, 'store'), { scratchDir });
        const full = await tinyStore.importLayer({ diffId: big.diffId, blobPath: blob, compression: 'gzip' });
        expect(full.ok || full.error.message).toMatch(new RegExp(`layer ${big.diffId}[:\\s].*no space left on device`, 'is'));
        expect(readdirSync(join(small, 'store', 'tmp'))).toEqual([]);
        expect(tinyStore.list()).toEqual([]);
      }
      const tinyStore = await LayerStore.open(join(small, 'store'), { scratchDir: null });
      execFileSync('mount', ['-o', 'remount,size=64m', small]);
      const retried = await tinyStore.importLayer({ diffId: big.diffId, blobPath: blob, compression: 'gzip' });
      expect(retried.ok).toBe(true);
    } finally {
      execFileSync('umount', [small]);
    }
  });
});
