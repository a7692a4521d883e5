import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { VicMachineError } from './errors';
import type { LogLevel } from './options';
import type { VchLayout } from './vch-layout';
import type { VsphereVch } from './vsphere/vsphere-vch';

/** vch.json: what vic-machine needs to start, reach and describe a VCH's endpoint. */
export interface VchConfig {
  name: string;
  /** The address the endpoint binds. */
  host: string;
  /** The port it serves on (the one it picked, when created with --port 0). */
  port: number;
  /** TLS; false only for --no-tls. */
  tls: boolean;
  /** With TLS: clients need no certificate (--no-tlsverify); absent, they need one signed by a CA the VCH trusts. */
  noTlsVerify?: true;
  insecureRegistries: string[];
  /** Volume store label -> directory; absent when only the default store in the VCH's state is used. */
  volumeStores?: Record<string, string>;
  createdAt: string;
  /** The endpoint's; absent means info. */
  logLevel?: LogLevel;
  /**
   * A vSphere VCH: its endpoint runs in the appliance VM at `host` (the public address), and this
   * folder holds only the docker client's certificates. Absent for a local VCH.
   */
  vsphere?: VsphereVch;
}

/** Writes vch.json through a temp file and a rename, so a reader never sees half of it. */
export function writeVchConfig(layout: VchLayout, config: VchConfig): void {
  const temp = `${layout.config}.tmp-${process.pid}`;
  writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`);
  renameSync(temp, layout.config);
}

export function vchExists(layout: VchLayout): boolean {
  return existsSync(layout.dir);
}

/** The VCH's config; a missing VCH or an unreadable vch.json is an error that says so. */
export function readVchConfig(layout: VchLayout): VchConfig {
  if (!existsSync(layout.dir)) throw new VicMachineError(`no VCH named ${layout.name} (looked in ${layout.dir}); vic-machine ls lists the VCHs`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(layout.config, 'utf8'));
  } catch (error) {
    throw new VicMachineError(`VCH ${layout.name}: cannot read ${layout.config} (${(error as Error).message}); delete the VCH and create it again`);
  }
  if (!isVchConfig(parsed)) throw new VicMachineError(`VCH ${layout.name}: ${layout.config} is not a VCH configuration; delete the VCH and create it again`);
  return parsed;
}

function isVchConfig(value: unknown): value is VchConfig {
  const config = value as Partial<VchConfig> | null;
  return (
    typeof config === 'object' &&
    config !== null &&
    typeof config.name === 'string' &&
    typeof config.host === 'string' &&
    Number.isInteger(config.port) &&
    typeof config.tls === 'boolean' &&
    Array.isArray(config.insecureRegistries) &&
    config.insecureRegistries.every((registry) => typeof registry === 'string') &&
    (config.volumeStores === undefined || (typeof config.volumeStores === 'object' && config.volumeStores !== null && Object.values(config.volumeStores).every((dir) => typeof dir === 'string'))) &&
    typeof config.createdAt === 'string'
  );
}
