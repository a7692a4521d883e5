import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { APPLIANCE_GUESTINFO_KEY, type ApplianceConfig } from '@vic/protocol';
import { parseDatastorePath } from '../../packages/vsphere/src/index';
import { runCommand, VIC_MACHINE, type CommandResult } from './vic-machine';
import type { Vcsim, VcsimInventory, VcsimVm } from './vcsim';
import { watchInventory } from './inventory-watch';

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

/** Beyond vic-machine's own wait for the appliance (--timeout, 10 min by default), so its message is what a test sees. */
const VSPHERE_COMMAND_TIMEOUT_MS = 12 * 60_000;

/** `vic-machine <command> --state-root <stateRoot> ...args` as a user runs it (nothing inherited but PATH). */
export function vicMachineVsphere(stateRoot: string, command: string[], ...args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, [VIC_MACHINE, ...command, '--state-root', stateRoot, ...args], { PATH: process.env.PATH ?? '/usr/bin:/bin' }, VSPHERE_COMMAND_TIMEOUT_MS);
}

/** The entries of a datastore's backing directory (vcsim's datastores are local folders), sorted. */
export async function datastoreEntries(vcsim: Vcsim, datastore = 'LocalDS_0', path = ''): Promise<string[]> {
  const store = (await vcsim.inventory()).datastores.find((ds) => ds.name === datastore);
  if (store === undefined) throw new Error(`vcsim has no datastore ${datastore}`);
  return readdirSync(`${store.url}/${path}`).sort();
}

/** The endpoint bundle (apps/endpoint/build.sh), the program the appliance runs. */
const ENDPOINT_BUNDLE = fileURLToPath(new URL('../../apps/endpoint/dist/endpoint.mjs', import.meta.url));

interface RunningStandIn {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/**
 * Plays the appliance VM of the VCHs named, for tests of vic-machine's commands that must not pay
 * for an appliance boot each (every start, configure and debug power-cycles it; a boot under TCG
 * takes tens of seconds): when vcsim shows the VM powered on, it does what the appliance's boot
 * program does with the VM's guestinfo.vic.appliance (writes `files`, runs the endpoint with
 * `endpointArgs`), here as a process on this host, with /etc/vic and /var/lib/vic under a folder of
 * its own and the endpoint bound to the VM's public address (a loopback address the test picks),
 * its output appended to the VM's file-backed console on the datastore. Powered off in vcsim, the
 * process is killed, as the VM would be. test/vsphere-vic-machine-run.test.ts boots the real appliance.
 */
export class ApplianceStandIn {
  private readonly running = new Map<string, RunningStandIn>();
  private readonly watch: { stop(): void };
  readonly errors: Error[] = [];

  private constructor(
    vcsim: Vcsim,
    private readonly workDir: string,
    private readonly names: ReadonlySet<string>,
  ) {
    this.watch = watchInventory(vcsim, (inventory) => this.onInventory(inventory), (error) => this.errors.push(error));
  }

  static start(vcsim: Vcsim, workDir: string, names: readonly string[]): ApplianceStandIn {
    return new ApplianceStandIn(vcsim, workDir, new Set(names));
  }

  async stop(): Promise<void> {
    this.watch.stop();
    await Promise.all([...this.running.values()].map((standIn) => kill(standIn)));
    this.running.clear();
  }

  private async onInventory(inventory: VcsimInventory): Promise<void> {
    for (const vm of inventory.vms) {
      if (!this.names.has(vm.name) || vm.extraConfig?.[APPLIANCE_GUESTINFO_KEY] === undefined) continue;
      const running = this.running.get(vm.ref.value);
      if (vm.powerState === 'poweredOn' && running === undefined) this.running.set(vm.ref.value, this.launch(vm, inventory));
      if (vm.powerState !== 'poweredOn' && running !== undefined) {
        this.running.delete(vm.ref.value);
        await kill(running);
      }
    }
  }

  private launch(vm: VcsimVm, inventory: VcsimInventory): RunningStandIn {
    const config = JSON.parse(vm.extraConfig![APPLIANCE_GUESTINFO_KEY]!) as ApplianceConfig;
    const root = join(this.workDir, vm.ref.value);
    const local = (path: string): string => (path.startsWith('/etc/vic') || path.startsWith('/var/lib/vic') ? join(root, path) : path);
    for (const [path, content] of Object.entries(config.files)) {
      mkdirSync(dirname(local(path)), { recursive: true });
      writeFileSync(local(path), content, { mode: 0o600 });
    }
    const ip = config.network.address.split('/')[0]!;
    const args = config.endpointArgs.map((arg, index) => (config.endpointArgs[index - 1] === '--host' ? ip : local(arg)));
    const serial = (vm.devices ?? []).find((device) => device.backingType === 'VirtualSerialPortFileBackingInfo');
    const { datastore, path } = parseDatastorePath(String(serial?.backing?.FileName));
    const consoleFile = join(inventory.datastores.find((candidate) => candidate.name === datastore)!.url, path);
    const console = openSync(consoleFile, 'a');
    const child = spawn(process.execPath, [ENDPOINT_BUNDLE, ...args], { stdio: ['ignore', console, console] });
    closeSync(console);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { child, exited };
  }
}

async function kill(standIn: RunningStandIn): Promise<void> {
  if (standIn.child.exitCode === null && standIn.child.signalCode === null) standIn.child.kill('SIGKILL');
  await standIn.exited;
}
