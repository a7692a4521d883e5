import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ADDON_FILE, addonCandidates, loadNative, native } from '../src/sys/native';

const isRoot = process.getuid?.() === 0;
const hasUnshare = spawnSync('unshare', ['--uts', '--mount', 'true'], { stdio: 'ignore' }).status === 0;

const NATIVE_MODULE = resolve(__dirname, '../src/sys/native.ts');
const REPO_ROOT = resolve(__dirname, '../../..');

/**
 * Runs a snippet in a fresh node (through tsx, so it uses the TypeScript wrapper) with `sys`
 * bound to the addon and `require` available; returns what the snippet printed as JSON.
 */
async function inChild(script: string, wrapper: string[] = []): Promise<unknown> {
  const source = [
    `import { native as sys } from ${JSON.stringify(NATIVE_MODULE)};`,
    `import { createRequire } from 'node:module';`,
    `const require = createRequire(import.meta.url);`,
    script,
  ].join('\n');
  const [command, ...args] = [...wrapper, process.execPath, '--import', 'tsx', '--input-type=module', '-e', source];
  const { stdout } = await promisify(execFile)(command!, args, { cwd: REPO_ROOT, timeout: 30_000 });
  return JSON.parse(stdout);
}

describe('loading the addon', () => {
  it('looks beside the bundle first, then in the node-gyp build directory', () => {
    expect(addonCandidates('/opt/tether/dist')[0]).toBe('/opt/tether/dist/vicsys.node');
    expect(addonCandidates('/work/apps/tether/src/sys')[1]).toBe('/work/apps/tether/native/build/Release/vicsys.node');
  });

  it('says where it looked when the addon is missing', () => {
    expect(() => loadNative(['/nowhere/vicsys.node'])).toThrow(`${ADDON_FILE} not found; looked at /nowhere/vicsys.node`);
  });

  it('loads from the build directory when running from source', () => {
    expect(typeof native.chroot).toBe('function');
  });

  it('exports the kernel values of the mount flags', () => {
    expect({
      MS_RDONLY: native.MS_RDONLY,
      MS_NOSUID: native.MS_NOSUID,
      MS_NODEV: native.MS_NODEV,
      MS_NOEXEC: native.MS_NOEXEC,
      MS_REMOUNT: native.MS_REMOUNT,
      MS_BIND: native.MS_BIND,
      MS_MOVE: native.MS_MOVE,
      MS_REC: native.MS_REC,
      MS_PRIVATE: native.MS_PRIVATE,
      MS_RELATIME: native.MS_RELATIME,
      MS_STRICTATIME: native.MS_STRICTATIME,
      MNT_FORCE: native.MNT_FORCE,
      MNT_DETACH: native.MNT_DETACH,
    }).toEqual({
      MS_RDONLY: 1,
      MS_NOSUID: 2,
      MS_NODEV: 4,
      MS_NOEXEC: 8,
      MS_REMOUNT: 32,
      MS_BIND: 4096,
      MS_MOVE: 8192,
      MS_REC: 16384,
      MS_PRIVATE: 1 << 18,
      MS_RELATIME: 1 << 21,
      MS_STRICTATIME: 1 << 24,
      MNT_FORCE: 1,
      MNT_DETACH: 2,
    });
  });
});

describe('errors', () => {
  it('name the call, its object and the errno', () => {
    expect(() => native.chroot('/does/not/exist')).toThrow(
      expect.objectContaining({
        message: 'chroot /does/not/exist: ENOENT (No such file or directory)',
        code: 'ENOENT',
        errno: 2,
        syscall: 'chroot',
      }),
    );
    expect(() => native.finitModule('/does/not/exist.ko', '')).toThrow('finit_module /does/not/exist.ko: ENOENT (No such file or directory)');
    expect(() => native.mount('none', '/does/not/exist', 'tmpfs', 0, '')).toThrow(
      'mount none on /does/not/exist (tmpfs): ENOENT (No such file or directory)',
    );
  });

  it('refuse arguments of the wrong type instead of passing garbage to the kernel', () => {
    expect(() => native.chroot(42 as unknown as string)).toThrow(TypeError);
    expect(() => native.chroot('/tmp\0/etc')).toThrow('path must not contain NUL characters');
    expect(() => native.waitpid(-1)).toThrow('pid must be a positive process id');
    expect(() => native.reboot('halt' as 'poweroff')).toThrow("kind must be 'poweroff' or 'restart'");
  });

  it('reports ECHILD for a pid that is not our child', () => {
    expect(() => native.waitpid(1)).toThrow(expect.objectContaining({ code: 'ECHILD' }));
  });
});

describe('waitpid', () => {
  it('returns null while the child runs, then its exit code or signal number', async () => {
    // A subreaper adopts the orphaned grandchildren, which libuv does not know about.
    const result = await inChild(`
      sys.setChildSubreaper();
      const { execSync } = require('child_process');
      const exits = Number(execSync("sh -c 'sleep 0.3; exit 3' >/dev/null 2>&1 & echo $!"));
      const killed = Number(execSync("sh -c 'sleep 0.3; kill -KILL $$' >/dev/null 2>&1 & echo $!"));
      const running = sys.waitpid(exits);
      const poll = (pid) => { for (;;) { const s = sys.waitpid(pid); if (s) return s; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); } };
      console.log(JSON.stringify({ running, exits: poll(exits), killed: poll(killed) }));
    `);
    expect(result).toEqual({ running: null, exits: { code: 3 }, killed: { signal: 9 } });
  });
});

describe.skipIf(!isRoot)('as root', () => {
  it('mounts and unmounts a tmpfs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vic-mount-'));
    try {
      const result = await inChild(`
        const fs = require('fs');
        const mounted = () => fs.readFileSync('/proc/self/mounts', 'utf8').split('\\n').some((l) => l.split(' ')[1] === ${JSON.stringify(dir)});
        sys.mount('tmpfs', ${JSON.stringify(dir)}, 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'size=1m,mode=0700');
        const during = mounted();
        sys.umount(${JSON.stringify(dir)}, 0);
        console.log(JSON.stringify({ during, after: mounted() }));
      `,
        // In a mount namespace of its own when possible, so a failure cannot leave the host a mount.
        hasUnshare ? ['unshare', '--mount', '--propagation', 'private'] : [],
      );
      expect(result).toEqual({ during: true, after: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('chroots into a directory and starts at its root', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vic-chroot-'));
    try {
      mkdirSync(join(dir, 'only-in-the-new-root'));
      const result = await inChild(`
        sys.chroot(${JSON.stringify(dir)});
        console.log(JSON.stringify({ cwd: process.cwd(), entries: require('fs').readdirSync('/') }));
      `);
      expect(result).toEqual({ cwd: '/', entries: ['only-in-the-new-root'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasUnshare)('sets the host and domain name (in a UTS namespace of its own)', async () => {
    const result = await inChild(
      `
        sys.sethostname('vic-test-host');
        sys.setdomainname('vic.test');
        const os = require('os');
        console.log(JSON.stringify({ hostname: os.hostname(), domain: require('fs').readFileSync('/proc/sys/kernel/domainname', 'utf8').trim() }));
      `,
      ['unshare', '--uts'],
    );
    expect(result).toEqual({ hostname: 'vic-test-host', domain: 'vic.test' });
  });
});
