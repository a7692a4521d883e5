import { constants, accessSync } from 'node:fs';
import { QemuProcess } from './qemu-process';
import type { Accel } from './vm-spec';
import { BASELINE_CMDLINE } from './kernel-cmdline';
import { MACHINE_TYPE } from './qemu-args';

/** A kernel + initrd that boots to a console marker and powers off: iso-build's floor image. */
export interface ProbeMedia {
  kernel: string;
  initrd: string;
  marker: string;
}

/** Long enough for a working KVM (well under a second) even on a loaded host; a hang is killed. */
export const KVM_PROBE_TIMEOUT_MS = 15_000;

let detected: Promise<Accel> | null = null;

/** VIC_ACCEL=tcg|kvm wins over any probe. */
function accelFromEnv(): Accel | null {
  const value = process.env.VIC_ACCEL;
  if (value === undefined || value === '') return null;
  if (value === 'tcg' || value === 'kvm') return value;
  throw new Error(`VIC_ACCEL=${value} is not valid: use tcg or kvm`);
}

/**
 * Decides once per process whether VMs run under KVM: only if a probe boot under KVM reaches its
 * marker and powers off in time. /dev/kvm existing is not enough: on a nested PVM host a stock
 * kernel under KVM hangs forever. Anything unexpected means TCG.
 */
export function detectAccel(media: ProbeMedia, timeoutMs = KVM_PROBE_TIMEOUT_MS): Promise<Accel> {
  const forced = accelFromEnv();
  if (forced) return Promise.resolve(forced);
  detected ??= probeKvm(media, timeoutMs).then((works) => (works ? 'kvm' : 'tcg'));
  return detected;
}

/** What a VM started without an explicit accelerator uses: the override, the probe's answer, or TCG. */
export async function defaultAccel(): Promise<Accel> {
  return accelFromEnv() ?? (detected ? await detected : 'tcg');
}

/** Boots `media` once under KVM; true only if the marker appeared and QEMU exited cleanly in time. */
export async function probeKvm(media: ProbeMedia, timeoutMs = KVM_PROBE_TIMEOUT_MS): Promise<boolean> {
  if (!kvmDeviceUsable()) return false;
  const qemu = QemuProcess.spawn([
    '-M', MACHINE_TYPE, '-accel', 'kvm', '-cpu', 'host', '-m', '256',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', media.kernel, '-initrd', media.initrd, '-append', BASELINE_CMDLINE,
    '-serial', 'stdio',
  ], { stdout: 'pipe' });
  let console = '';
  qemu.stdout?.setEncoding('utf8');
  qemu.stdout?.on('data', (chunk: string) => {
    console = (console + chunk).slice(-4096);
  });
  const timer = setTimeout(() => qemu.signal('SIGKILL'), timeoutMs);
  const exit = await qemu.exited;
  clearTimeout(timer);
  return exit.code === 0 && console.includes(media.marker);
}

function kvmDeviceUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch (err) {
    // ENOENT or EACCES: this host offers no KVM to us, which is an answer (TCG), not a failure.
    if ((err as NodeJS.ErrnoException).code) return false;
    throw err;
  }
}

/** Forgets the probe's answer; for tests. */
export function resetAccelDetection(): void {
  detected = null;
}
