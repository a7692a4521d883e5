import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { VicMachineError } from './errors';

export const DEFAULT_STATE_ROOT = '/var/lib/vic';
/** The checkout's ISO (iso-build/build.sh); the same relative path from src/ and from dist/. */
export const DEFAULT_ISO = fileURLToPath(new URL('../../../iso-build/out/bootstrap.iso', import.meta.url));
/** The checkout's appliance ISO (iso-build/build.sh), which a vSphere VCH's appliance VM boots. */
export const DEFAULT_APPLIANCE_ISO = fileURLToPath(new URL('../../../iso-build/out/appliance.iso', import.meta.url));
/** Docker's conventional ports: 2376 for TLS, 2375 for plain HTTP. */
export const TLS_PORT = 2376;
export const PLAIN_PORT = 2375;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const optionSpec = {
  target: { type: 'string' },
  name: { type: 'string' },
  'state-root': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'no-tls': { type: 'boolean' },
  // VIC's TLS flags (tls-flags.ts).
  'tls-cname': { type: 'string' },
  'no-tlsverify': { type: 'boolean' },
  'tls-ca': { type: 'string', multiple: true },
  force: { type: 'boolean' },
  'insecure-registry': { type: 'string', multiple: true },
  // DIR:LABEL locally, DATASTORE/PATH:LABEL on vSphere.
  'volume-store': { type: 'string', multiple: true },
  iso: { type: 'string' },
  'appliance-iso': { type: 'string' },
  // How long to wait for a vSphere VCH's appliance to answer, as a Go duration ("10m", "90s"), as VIC's --timeout.
  timeout: { type: 'string' },
  // vSphere targets (VIC's flag names).
  user: { type: 'string', short: 'u' },
  password: { type: 'string' },
  thumbprint: { type: 'string' },
  'compute-resource': { type: 'string', short: 'r' },
  'image-store': { type: 'string', short: 'i' },
  'bridge-network': { type: 'string', short: 'b' },
  'container-network': { type: 'string', multiple: true },
  'container-network-gateway': { type: 'string', multiple: true },
  'container-network-ip-range': { type: 'string', multiple: true },
  'public-network': { type: 'string' },
  'public-network-ip': { type: 'string' },
  'public-network-gateway': { type: 'string' },
  'dns-server': { type: 'string', multiple: true },
  cpu: { type: 'string' },
  memory: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type OptionName = keyof typeof optionSpec;

export interface ParsedCommandLine {
  command: string | undefined;
  /** What the command acts on beyond --name: `inspect config`. */
  subcommand: string | undefined;
  given: Set<OptionName>;
  values: ReturnType<typeof parseArgs<{ options: typeof optionSpec; allowPositionals: true }>>['values'];
}

export function parseCommandLine(argv: string[]): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: optionSpec, allowPositionals: true, strict: true });
  } catch (error) {
    throw new VicMachineError((error as Error).message);
  }
  const [command, subcommand, extra] = parsed.positionals;
  if (subcommand !== undefined && !(command === 'inspect' && subcommand === 'config')) throw new VicMachineError(`unexpected argument ${subcommand}`);
  if (extra !== undefined) throw new VicMachineError(`unexpected argument ${extra}`);
  const given = new Set(Object.keys(parsed.values) as OptionName[]);
  return { command, subcommand, given, values: parsed.values };
}

/**
 * `local`: VCHs on this machine, each container a QEMU VM; anything else is a vSphere address
 * (vsphere/vsphere-target.ts parses it).
 */
export function targetKind(target: string | undefined): 'local' | 'vsphere' {
  if (target === undefined) throw new VicMachineError('--target is required: local (--target local) or a vSphere address ([user:password@]host[/datacenter])');
  return target === 'local' ? 'local' : 'vsphere';
}

/** A limit in MHz or MB, as VIC's --cpu and --memory took them. */
export function parseLimit(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 1) throw new VicMachineError(`--${flag} ${text} is not a limit: a whole number above 0 (${flag === 'cpu' ? 'MHz' : 'MB'})`);
  return value;
}

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** --timeout as VIC took it, a Go duration of hours, minutes and seconds ("10m", "1m30s"), in ms. */
export function parseTimeout(text: string | undefined, defaultMs: number): number {
  if (text === undefined) return defaultMs;
  const match = DURATION.exec(text);
  const ms = match === null ? 0 : ((Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 60 + Number(match[3] ?? 0)) * 1000;
  if (match === null || ms === 0) throw new VicMachineError(`--timeout ${JSON.stringify(text)} is not a duration: hours, minutes and seconds, e.g. 10m, 90s or 1m30s`);
  return ms;
}

/** The endpoint's log level: debug adds a line per API request (vic-machine debug). */
export type LogLevel = 'info' | 'debug';

export function parseLogLevel(text: string | undefined): LogLevel {
  if (text === undefined) return 'debug';
  if (text !== 'info' && text !== 'debug') throw new VicMachineError(`--log-level ${text} is not one of info, debug`);
  return text;
}

export function parseName(name: string | undefined): string {
  if (name === undefined) throw new VicMachineError('--name is required: the VCH to act on');
  if (!NAME.test(name)) throw new VicMachineError(`--name ${JSON.stringify(name)} is not a valid VCH name: 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  return name;
}

export function parsePort(text: string | undefined, tls: boolean): number {
  if (text === undefined) return tls ? TLS_PORT : PLAIN_PORT;
  const port = Number(text);
  if (text.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new VicMachineError(`--port ${text} is not a port number (0-65535; 0 picks a free port)`);
  return port;
}

export function parseHost(host: string | undefined): string {
  const value = host ?? '127.0.0.1';
  if (isIP(value) === 0 && !HOSTNAME.test(value)) throw new VicMachineError(`--host ${JSON.stringify(value)} is neither an IP address nor a host name`);
  return value;
}

const STORE_LABEL = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * `--volume-store DIR:LABEL`, VIC's syntax with a host directory for the datastore path: volume
 * disks made with `-o VolumeStore=LABEL` go to DIR, and "default" (anonymous volumes and those
 * without the option) to DIR when given, to the VCH's own state otherwise.
 */
export function parseVolumeStores(specs: string[]): Record<string, string> {
  const stores: Record<string, string> = {};
  for (const spec of specs) {
    const colon = spec.lastIndexOf(':');
    const [dir, label] = colon === -1 ? [spec, ''] : [spec.slice(0, colon), spec.slice(colon + 1)];
    if (!dir.startsWith('/') || !STORE_LABEL.test(label)) {
      throw new VicMachineError(`--volume-store ${JSON.stringify(spec)} is not DIR:LABEL (an absolute directory, then a label of letters, digits, '_' or '-', e.g. /srv/vic-volumes:default)`);
    }
    if (label in stores) throw new VicMachineError(`--volume-store: the label ${label} is given twice`);
    stores[label] = dir;
  }
  return stores;
}
