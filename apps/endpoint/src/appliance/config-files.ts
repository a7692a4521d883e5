import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ApplianceConfig } from '@vic/protocol';

/** Writes the TLS material and credentials the endpoint arguments name: readable by root only. */
export function writeConfigFiles(config: ApplianceConfig): void {
  for (const [path, content] of Object.entries(config.files)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, content, { mode: 0o600 });
    // A file left by an earlier attempt keeps its mode through writeFileSync.
    chmodSync(path, 0o600);
  }
}
