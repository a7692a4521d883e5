import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A minimal container root file system for tether tests, until images come from a registry:
 * Debian's static busybox with its applets, and an /etc/passwd with a non-root user.
 */
const PASSWD = ['root:x:0:0:root:/root:/bin/sh', 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false', 'vic:x:1000:1000:vic user:/home/vic:/bin/sh', ''].join('\n');
const GROUP = ['root:x:0:', 'tty:x:5:', 'users:x:100:vic', 'nogroup:x:65534:', 'vic:x:1000:', ''].join('\n');

const CACHE = join(process.cwd(), '.cache', 'test-rootfs');

/** Builds (once per checkout) an ext4 image holding the busybox root file system. */
export function busyboxRootfsImage(): string {
  const image = join(CACHE, 'busybox-rootfs.ext4');
  if (existsSync(image)) return image;
  mkdirSync(CACHE, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'vic-rootfs-'));
  try {
    for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home/vic', 'tmp', 'proc', 'sys', 'dev', 'var']) mkdirSync(join(dir, d), { recursive: true });
    chmodSync(join(dir, 'tmp'), 0o1777);
    copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
    chmodSync(join(dir, 'bin/busybox'), 0o755);
    const applets = execFileSync('/bin/busybox', ['--list']).toString().split('\n').filter((a) => a && a !== 'busybox');
    for (const applet of applets) symlinkSync('busybox', join(dir, 'bin', applet));
    writeFileSync(join(dir, 'etc/passwd'), PASSWD);
    writeFileSync(join(dir, 'etc/group'), GROUP);
    execFileSync('chown', ['-R', '1000:1000', join(dir, 'home/vic')]);
    const partial = `${image}.partial`;
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'rootfs', '-d', dir, partial, '64M'], { stdio: 'pipe' });
    execFileSync('mv', [partial, image]);
    return image;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh, empty ext4 disk for one container's writable layer (sparse: costs no space until used). */
export function writableLayerImage(dir: string, sizeMiB = 1024): string {
  const image = join(dir, 'rw.ext4');
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'rw', image, `${sizeMiB}M`], { stdio: 'pipe' });
  return image;
}
