import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dockerHost } from '../endpoint-address';
import { readVchConfig } from '../vch-config';
import { vchLayout } from '../vch-layout';
import { vchStatus } from '../vch-status';

/** `vic-machine ls`: one line per local VCH under the state root (vSphere VCHs are listed by their --target): name, status, DOCKER_HOST. */
export async function listVchs(stateRoot: string): Promise<void> {
  const names = existsSync(stateRoot)
    ? readdirSync(stateRoot, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(stateRoot, entry.name, 'vch.json')))
        .map((entry) => entry.name)
        .sort()
    : [];
  const rows = [['NAME', 'STATUS', 'DOCKER_HOST']];
  for (const name of names) {
    const layout = vchLayout(stateRoot, name);
    const config = readVchConfig(layout);
    if (config.vsphere) continue;
    rows.push([name, (await vchStatus(layout, config)).state, dockerHost(config)]);
  }
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) console.log(`${row[0]!.padEnd(widths[0]!)}   ${row[1]!.padEnd(widths[1]!)}   ${row[2]}`);
}
