import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createCertificates } from '../certificates';
import type { TlsChoices } from '../tls-flags';
import { dockerEnvLines } from '../endpoint-address';
import { stopEndpoint } from '../endpoint-process';
import { VicMachineError } from '../errors';
import { isLoopback } from '../host-address';
import { killVchProcesses } from '../vch-processes';
import { progress } from '../progress';
import { vchExists, writeVchConfig, type VchConfig } from '../vch-config';
import type { VchLayout } from '../vch-layout';
import { startVch } from '../vch-startup';

export interface CreateOptions {
  layout: VchLayout;
  stateRoot: string;
  host: string;
  port: number;
  /** Absent with --no-tls. */
  tls?: TlsChoices;
  /** Allows plain HTTP on an address other machines can reach. */
  force: boolean;
  insecureRegistries: string[];
  /** Volume store label -> directory (`--volume-store DIR:LABEL`). */
  volumeStores: Record<string, string>;
  iso: string;
}

/** Refusals that need nothing made yet, so a refused create leaves no trace. */
function checkCreate(options: CreateOptions): void {
  const { layout } = options;
  if (options.tls === undefined && !isLoopback(options.host) && !options.force) {
    throw new VicMachineError(
      `refusing plain HTTP on ${options.host}: anyone who can reach that address could run containers on VCH ${layout.name} without credentials. ` +
        'Drop --no-tls (TLS with client certificates is the default), bind a loopback address (--host 127.0.0.1), or pass --force if you mean it.',
    );
  }
  if (vchExists(layout)) throw new VicMachineError(`VCH ${layout.name} already exists (${layout.dir}); vic-machine inspect shows it, vic-machine delete removes it`);
  if (!existsSync(options.iso)) throw new VicMachineError(`the bootstrap ISO ${options.iso} is missing; build it with bash iso-build/build.sh or pass --iso`);
}

/**
 * `vic-machine create`: makes the VCH's folder, certificates and ISO copy, starts its endpoint and
 * prints the docker environment once /_ping answers. On any failure it stops what it started,
 * removes the folder and reports the endpoint log's tail.
 */
export async function createVch(options: CreateOptions): Promise<void> {
  const { layout } = options;
  checkCreate(options);
  const started = Date.now();
  progress(`creating VCH ${layout.name} in ${layout.dir}`);
  mkdirSync(options.stateRoot, { recursive: true });
  // Not recursive: if another create won the race since the check, this fails instead of sharing the folder.
  mkdirSync(layout.dir, { mode: 0o700 });
  try {
    if (options.tls) {
      const names = ['127.0.0.1', 'localhost', options.host, ...(options.tls.cname === undefined ? [] : [options.tls.cname])];
      progress(`generating certificates with openssl: a CA, a server certificate (for ${[...new Set(names)].join(', ')})${options.tls.verifyClients ? ', a client certificate' : ' (--no-tlsverify: no client certificate)'}`);
      await createCertificates(layout, options.host, options.tls);
    }
    progress(`copying the bootstrap ISO ${options.iso}`);
    copyFileSync(options.iso, layout.iso);
    const config: VchConfig = {
      name: layout.name,
      host: options.host,
      port: options.port,
      tls: options.tls !== undefined,
      ...(options.tls?.verifyClients === false ? { noTlsVerify: true as const } : {}),
      insecureRegistries: options.insecureRegistries,
      ...(Object.keys(options.volumeStores).length > 0 ? { volumeStores: options.volumeStores } : {}),
      createdAt: new Date().toISOString(),
    };
    writeVchConfig(layout, config);
    const served = await startVch(layout, config);
    progress(`VCH ${layout.name} is ready (${((Date.now() - started) / 1000).toFixed(1)} s). To use it:`);
    for (const line of dockerEnvLines(served, layout)) console.log(line);
  } catch (error) {
    progress(`create failed; removing what it made in ${layout.dir}`);
    await stopEndpoint(layout);
    await killVchProcesses(layout);
    rmSync(layout.dir, { recursive: true, force: true });
    throw error;
  }
}
