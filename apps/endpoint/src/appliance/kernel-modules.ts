import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { complain } from './console';

const run = promisify(execFile);
/** iso-build writes the modules the appliance needs, dependencies first, one path per line. */
const LOAD_ORDER = '/lib/modules/load-order';
const INSMOD_TIMEOUT_MS = 30_000;

/**
 * Loads the drivers for guestinfo (qemu_fw_cfg), the data disk (PVSCSI) and the NICs (vmxnet3).
 * A module that fails is reported and skipped: the step that needs its device says what is missing.
 */
export async function loadKernelModules(): Promise<void> {
  if (!existsSync(LOAD_ORDER)) return complain(`${LOAD_ORDER} is missing: no drivers loaded`);
  for (const path of readFileSync(LOAD_ORDER, 'utf8').split('\n').filter(Boolean)) {
    await run('insmod', [path], { timeout: INSMOD_TIMEOUT_MS }).catch((error: Error & { stderr?: string }) => {
      // Loaded already (a second boot attempt) is what we wanted.
      if (!/File exists/.test(error.stderr ?? '')) complain(`module ${path}: ${(error.stderr ?? error.message).trim()}`);
    });
  }
}
