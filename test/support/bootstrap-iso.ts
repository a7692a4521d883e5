import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_SCRIPT = join(REPO, 'iso-build/build.sh');
/** A first build unpacks a kernel and packs ~100 MB; later calls only compare input digests. */
const BUILD_TIMEOUT_MS = 20 * 60_000;

export interface BootstrapArtifacts {
  iso: string;
  /** Busybox-only initramfs whose /init prints FLOOR_MARKER and powers off. */
  floorInitrd: string;
  kernel: string;
}

/** What the floor image's /init prints before it powers off. */
export const FLOOR_MARKER = 'vic-floor-up';
/** What the stand-in tether (iso-build/bench/stand-in-tether) prints once Node runs as PID 1. */
export const STAND_IN_MARKER = 'tether-up';

const builds = new Map<string, Promise<BootstrapArtifacts>>();

/**
 * Runs iso-build/build.sh (at most once per process and output folder). build.sh itself skips the
 * work when the digest of its inputs matches the last build, so a fresh tree costs one build and
 * an up-to-date one about a second.
 */
function build(outDir: string, tetherDist?: string): Promise<BootstrapArtifacts> {
  let artifacts = builds.get(outDir);
  if (!artifacts) {
    const args = [BUILD_SCRIPT, '--out', outDir, ...(tetherDist ? ['--tether-dist', tetherDist] : [])];
    artifacts = run('bash', args, { timeout: BUILD_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }).then(
      () => ({ iso: join(outDir, 'bootstrap.iso'), floorInitrd: join(outDir, 'floor-initrd.img'), kernel: join(outDir, 'vmlinuz') }),
      (err: Error & { stdout?: string; stderr?: string }) => {
        builds.delete(outDir);
        throw new Error(`iso-build/build.sh failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      },
    );
    builds.set(outDir, artifacts);
  }
  return artifacts;
}

/** The bootstrap ISO with the real tether (apps/tether/dist), built if missing or stale. */
export function ensureBootstrapIso(): Promise<BootstrapArtifacts> {
  return build(join(REPO, 'iso-build/out'));
}

const applianceBuilds = new Map<string, Promise<string>>();

/** The VCH appliance's ISO (build.sh --appliance, from apps/endpoint/dist/appliance), built if missing or stale. */
export function ensureApplianceIso(): Promise<string> {
  const outDir = join(REPO, 'iso-build/out');
  let iso = applianceBuilds.get(outDir);
  if (!iso) {
    iso = run('bash', [BUILD_SCRIPT, '--appliance', '--out', outDir], { timeout: BUILD_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }).then(
      () => join(outDir, 'appliance.iso'),
      (err: Error & { stdout?: string; stderr?: string }) => {
        applianceBuilds.delete(outDir);
        throw new Error(`iso-build/build.sh --appliance failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      },
    );
    applianceBuilds.set(outDir, iso);
  }
  return iso;
}

/**
 * The same ISO with the stand-in tether instead of the real one, in iso-build/out/stand-in/: for
 * tests of the VM runner itself, which need Node to boot but not the tether.
 */
export function ensureStandInBootstrapIso(): Promise<BootstrapArtifacts> {
  return build(join(REPO, 'iso-build/out/stand-in'), join(REPO, 'iso-build/bench/stand-in-tether'));
}
