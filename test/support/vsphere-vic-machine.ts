import { readdirSync } from 'node:fs';
import tls from 'node:tls';
import { runCommand, VIC_MACHINE, type CommandResult } from './vic-machine';
import type { Vcsim } from './vcsim';

/** The SHA-1 fingerprint of vcsim's certificate, read over TLS as a user would with openssl. */
export function vcsimThumbprint(vcsim: Vcsim): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = tls.connect({ host: vcsim.host, port: vcsim.port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint);
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** `user:password@host:port`, VIC's --target with credentials in it. */
export const vcsimTarget = (vcsim: Vcsim): string => `${encodeURIComponent(vcsim.username)}:${encodeURIComponent(vcsim.password)}@${vcsim.host}:${vcsim.port}`;

/** `vic-machine <command> --state-root <stateRoot> ...args` as a user runs it (nothing inherited but PATH). */
export function vicMachineVsphere(stateRoot: string, command: string[], ...args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, [VIC_MACHINE, ...command, '--state-root', stateRoot, ...args], { PATH: process.env.PATH ?? '/usr/bin:/bin' });
}

/** The entries of a datastore's backing directory (vcsim's datastores are local folders), sorted. */
export async function datastoreEntries(vcsim: Vcsim, datastore = 'LocalDS_0', path = ''): Promise<string[]> {
  const store = (await vcsim.inventory()).datastores.find((ds) => ds.name === datastore);
  if (store === undefined) throw new Error(`vcsim has no datastore ${datastore}`);
  return readdirSync(`${store.url}/${path}`).sort();
}
