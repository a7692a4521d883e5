import { existsSync, readFileSync } from 'node:fs';
import { native } from '../sys/native';
import { log } from '../log';

/** iso-build writes the modules the guest needs, dependencies first, one path per line. */
export const MODULE_LOAD_ORDER = '/lib/modules/load-order';

export function loadModules(listPath = MODULE_LOAD_ORDER): void {
  if (!existsSync(listPath)) return;
  for (const path of readFileSync(listPath, 'utf8').split('\n').filter(Boolean)) {
    try {
      native.finitModule(path, '');
    } catch (err) {
      // One missing driver should not stop the VM: the step that needs it reports a clear error.
      log(`module ${path}: ${(err as Error).message}`);
    }
  }
}
