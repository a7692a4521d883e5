import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cachedImage, tarOf, type BuiltImage, type TarEntry } from '@vic/sample-images';

const run = promisify(execFile);

const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
const DEBOOTSTRAP_TIMEOUT_MS = 15 * 60_000;
const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** A base-layer directory layer 3 whites out. */
const WHITED_OUT_DIR = 'usr/share/doc/apt';
/** Carries the base's os-release PRETTY_NAME line with the cached image, for expectations. */
const PRETTY_NAME_LABEL = 'vic.test.os-release.pretty-name';

/** What a container of the Debian test image must see, for end-to-end checks. */
export interface DebianExpectations {
  prettyName: string;
  present: { path: string; uid: number; gid: number; mode: number }[];
  absent: string[];
}

export interface DebianTestImage extends BuiltImage {
  expected: DebianExpectations;
}

/** Layer 2: one of each entry kind, and what layer 3 will delete. */
const addedFiles: TarEntry[] = [
  { name: 'opt/vic/', type: 'directory', mode: 0o755 },
  { name: 'opt/vic/added.txt', content: 'added by layer 2\n', mode: 0o644 },
  { name: 'opt/vic/added-hardlink', type: 'link', linkname: 'opt/vic/added.txt' },
  { name: 'opt/vic/rel-link', type: 'symlink', linkname: 'added.txt' },
  { name: 'opt/vic/abs-link', type: 'symlink', linkname: '/opt/vic/added.txt' },
  { name: 'opt/vic/owned', content: 'owned by 1234:5678\n', mode: 0o640, uid: 1234, gid: 5678 },
  { name: 'opt/vic/xattr-file', content: 'has an xattr\n', mode: 0o644, pax: { 'SCHILY.xattr.user.vic': 'layer2' } },
  { name: 'opt/vic/setuid', content: '#!/bin/sh\necho setuid\n', mode: 0o4755 },
  { name: 'opt/vic/fifo', type: 'fifo', mode: 0o644 },
  { name: 'opt/vic/replaced/', type: 'directory', mode: 0o755 },
  { name: 'opt/vic/replaced/a', content: 'a\n', mode: 0o644 },
  { name: 'opt/vic/replaced/b', content: 'b\n', mode: 0o644 },
  { name: 'etc/vic-to-delete', content: 'layer 3 deletes me\n', mode: 0o644 },
];

/** Layer 3: deletions, as OCI whiteouts, and an opaque directory with new content. */
const deletions: TarEntry[] = [
  { name: 'etc/.wh.vic-to-delete', content: '' },
  { name: `${WHITED_OUT_DIR.slice(0, WHITED_OUT_DIR.lastIndexOf('/'))}/.wh.${WHITED_OUT_DIR.slice(WHITED_OUT_DIR.lastIndexOf('/') + 1)}`, content: '' },
  { name: 'opt/vic/replaced/.wh..wh..opq', content: '' },
  { name: 'opt/vic/replaced/c', content: 'c\n', mode: 0o644 },
];

/** The base layer: `debootstrap --variant=minbase`, as root, device nodes kept. Minutes, once per checkout. */
async function debootstrapLayer(): Promise<{ tar: Buffer; prettyName: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vic-debootstrap-'));
  try {
    console.log(`test images: debootstrap --variant=minbase ${SUITE} from ${MIRROR} (a few minutes, once)`);
    const started = Date.now();
    await run('debootstrap', ['--variant=minbase', SUITE, join(dir, 'root'), MIRROR], { timeout: DEBOOTSTRAP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
    console.log(`test images: debootstrap done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const prettyName = /^PRETTY_NAME=.*$/m.exec(readFileSync(join(dir, 'root', 'etc', 'os-release'), 'utf8'))?.[0] ?? '';
    await run(
      'tar',
      [
        '--sort=name', '--numeric-owner', '--xattrs', "--xattrs-include=*",
        '--exclude=./proc/*', '--exclude=./sys/*', '--exclude=./var/cache/apt/archives/*.deb', '--exclude=./var/lib/apt/lists/*',
        '-C', join(dir, 'root'), '-cf', join(dir, 'base.tar'), '.',
      ],
      { timeout: DEBOOTSTRAP_TIMEOUT_MS },
    );
    return { tar: readFileSync(join(dir, 'base.tar')), prettyName };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A three-layer Debian image: debootstrap base, a layer adding files, a layer deleting some. */
export async function buildDebianImage(): Promise<DebianTestImage> {
  let prettyName = '';
  const image = await cachedImage('debian', `${SUITE} ${MIRROR} ${JSON.stringify(addedFiles)} ${JSON.stringify(deletions)}`, async () => {
    const base = await debootstrapLayer();
    prettyName = base.prettyName;
    return {
      layerTars: [base.tar, await tarOf(addedFiles), await tarOf(deletions)],
      config: {
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/bash'], Env: [PATH], Labels: { [PRETTY_NAME_LABEL]: prettyName } },
        history: [{ created_by: `debootstrap --variant=minbase ${SUITE}` }, { created_by: 'vic test: add files' }, { created_by: 'vic test: delete files' }],
      },
    };
  });
  const labels = (JSON.parse(image.config.toString()) as { config: { Labels: Record<string, string> } }).config.Labels;
  return {
    ...image,
    expected: {
      prettyName: labels[PRETTY_NAME_LABEL] ?? prettyName,
      present: [
        { path: '/opt/vic/added.txt', uid: 0, gid: 0, mode: 0o644 },
        { path: '/opt/vic/owned', uid: 1234, gid: 5678, mode: 0o640 },
        { path: '/opt/vic/setuid', uid: 0, gid: 0, mode: 0o4755 },
        { path: '/opt/vic/replaced/c', uid: 0, gid: 0, mode: 0o644 },
      ],
      absent: ['/etc/vic-to-delete', '/opt/vic/replaced/a', '/opt/vic/replaced/b', `/${WHITED_OUT_DIR}`],
    },
  };
}
