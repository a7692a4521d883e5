import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How a process that `waitpid` collected ended; `signal` is the signal number. */
export type WaitStatus = { code: number; signal?: undefined } | { code?: undefined; signal: number };

/** The system calls of `native/vicsys.c`. Each throws an Error with the errno name as `code`. */
export interface NativeSys {
  /** chroot(2) into `path`, then chdir("/"). */
  chroot(path: string): void;
  /** mount(2); an empty `fstype` or `data` is passed as NULL. */
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  /** umount2(2) with MNT_* flags. */
  umount(target: string, flags: number): void;
  sethostname(name: string): void;
  setdomainname(name: string): void;
  /** waitpid(pid, WNOHANG) for exactly `pid`: null while it runs. */
  waitpid(pid: number): WaitStatus | null;
  /** sync(2), then reboot(2); returns only by throwing. */
  reboot(kind: 'poweroff' | 'restart'): never;
  /** finit_module(2); false when the module was already loaded. */
  finitModule(path: string, params: string): boolean;
  /** prctl(PR_SET_CHILD_SUBREAPER, 1). */
  setChildSubreaper(): void;
  readonly MS_RDONLY: number;
  readonly MS_NOSUID: number;
  readonly MS_NODEV: number;
  readonly MS_NOEXEC: number;
  readonly MS_REMOUNT: number;
  readonly MS_BIND: number;
  readonly MS_REC: number;
  readonly MS_PRIVATE: number;
  readonly MS_MOVE: number;
  readonly MS_RELATIME: number;
  readonly MS_STRICTATIME: number;
  readonly MNT_DETACH: number;
  readonly MNT_FORCE: number;
}

export const ADDON_FILE = 'vicsys.node';

/**
 * The directory of the running code: the bundle's directory in the guest (esbuild emits CJS,
 * which has `__dirname`), this source file's directory when run unbundled as ESM.
 */
function codeDir(): string {
  if (typeof __dirname === 'string') return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * Where the addon may be, first match wins: beside the bundle (dist/vicsys.node, which is how
 * the guest ships it), then node-gyp's output when running from `src/sys` on the host.
 */
export function addonCandidates(dir = codeDir()): string[] {
  return [join(dir, ADDON_FILE), join(dir, '..', '..', 'native', 'build', 'Release', ADDON_FILE)];
}

export function loadNative(candidates = addonCandidates()): NativeSys {
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error(`${ADDON_FILE} not found; looked at ${candidates.join(', ')} (run apps/tether/build.sh)`);
  }
  const addon = createRequire(found)(found) as NativeSys;
  return {
    ...addon,
    chroot(path: string): void {
      addon.chroot(path);
      // Node caches its cwd; without this, process.cwd() and path.resolve() keep the old root's path.
      process.chdir('/');
    },
  };
}

let loaded: NativeSys | undefined;

/**
 * The addon, loaded on first use so that importing this module never fails on a machine
 * without it. The tether touches it while mounting /proc, long before it leaves the boot
 * filesystem with chroot, so the file is always still reachable when it is first needed.
 */
export const native: NativeSys = new Proxy({} as NativeSys, {
  get(_target, property) {
    loaded ??= loadNative();
    return Reflect.get(loaded, property);
  },
});
