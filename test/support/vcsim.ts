import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const scripts = fileURLToPath(new URL('../../scripts/vcsim/', import.meta.url));

/** A vcsim (govmomi's vSphere simulator) this test started, with its oracle endpoints. */
export interface Vcsim {
  /** https://127.0.0.1:PORT/sdk (or the `listen` address), without credentials. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** GET /vcsim/inventory: the simulator's registry as JSON, read independently of our client. */
  inventory(): Promise<VcsimInventory>;
  /** GET /vcsim/calls: one record per SOAP call the simulator served. */
  calls(): Promise<VcsimCall[]>;
  stop(): Promise<void>;
}

export interface VcsimRef {
  readonly type: string;
  readonly value: string;
}
export interface VcsimDevice {
  readonly key: number;
  readonly type: string;
  readonly label?: string;
  readonly backingType?: string;
  /** The backing's Go fields, capitalised as govmomi names them (FileName, ServiceURI, ...). */
  readonly backing?: { readonly [field: string]: unknown };
  readonly [field: string]: unknown;
}
export interface VcsimVm {
  readonly ref: VcsimRef;
  readonly name: string;
  readonly powerState: string;
  readonly resourcePool?: VcsimRef;
  readonly extraConfig?: Record<string, string>;
  readonly devices?: VcsimDevice[];
  readonly [field: string]: unknown;
}
export interface VcsimInventory {
  readonly vms: VcsimVm[];
  readonly vapps: { readonly ref: VcsimRef; readonly name: string; readonly [field: string]: unknown }[];
  readonly pools: { readonly ref: VcsimRef; readonly name: string; readonly [field: string]: unknown }[];
  readonly datastores: { readonly ref: VcsimRef; readonly name: string; readonly url: string }[];
  readonly [kind: string]: unknown;
}
export interface VcsimCall {
  readonly seq: number;
  readonly method: string;
  readonly session?: string;
  readonly status: number;
  readonly fault?: string;
  readonly request: string;
}

export interface VcsimOptions {
  /** Replaces the default inventory flags, e.g. ['-esx'] for an ESXi host. */
  readonly inventory?: readonly string[];
  /** Added to them, e.g. ['-method-delay', 'WaitForUpdatesEx:5000']. */
  readonly extra?: readonly string[];
  /**
   * The address to listen on instead of 127.0.0.1, e.g. the host's address on the harness's public
   * network (test/support/esx-host/public-network.ts), so VMs on that network reach the same URL.
   */
  readonly listen?: string;
}

/**
 * Starts a vcsim on a free port. The default inventory is a vCenter with DC0, cluster DC0_C0, host
 * DC0_H0, LocalDS_0, "VM Network" and DC0_DVPG0.
 */
export async function startVcsim(options: VcsimOptions = {}): Promise<Vcsim> {
  await run('bash', [`${scripts}install-vcsim.sh`], { timeout: 300_000 });
  const env = options.inventory === undefined ? process.env : { ...process.env, VCSIM_FLAGS: options.inventory.join(' ') };
  // start-vcsim.sh passes the flags after "--" on after its own; vcsim's flag parsing keeps the last -l.
  const extra = [...(options.listen === undefined ? [] : ['-l', `${options.listen}:0`]), ...(options.extra ?? [])];
  const args = [`${scripts}start-vcsim.sh`, '0', ...(extra.length === 0 ? [] : ['--', ...extra])];
  const { stdout } = await run('bash', args, { timeout: 60_000, env });
  const printed = Object.fromEntries(stdout.split('\n').filter(Boolean).map((line) => line.split(/=(.*)/s).slice(0, 2)));
  const withCredentials = new URL(printed.VCSIM_URL!);
  const port = Number(withCredentials.port);
  const url = `https://${withCredentials.host}/sdk`;
  const getJson = (path: string): Promise<unknown> => fetchJson(new URL(path, url));
  return {
    url,
    host: withCredentials.hostname,
    port,
    username: decodeURIComponent(withCredentials.username),
    password: decodeURIComponent(withCredentials.password),
    inventory: () => getJson('/vcsim/inventory') as Promise<VcsimInventory>,
    calls: () => getJson('/vcsim/calls') as Promise<VcsimCall[]>,
    stop: async () => {
      await run('bash', [`${scripts}start-vcsim.sh`, '--stop', String(port)], { timeout: 30_000 });
      // Its log and call log, and the pid file start-vcsim.sh keeps under the real port.
      await rm(printed.VCSIM_DIR!, { recursive: true, force: true });
      await rm(`/tmp/vcsim-${port}`, { recursive: true, force: true });
    },
  };
}

function fetchJson(url: URL): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // The simulator's certificate is self-signed; this is the test's oracle channel, not the client under test.
    const request = https.get(url, { rejectUnauthorized: false, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`GET ${url} -> HTTP ${response.statusCode}`));
        else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}
