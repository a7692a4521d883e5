#!/usr/bin/env node
/**
 * vic-machine: creates and manages virtual container hosts (VCHs), on this machine (--target local)
 * or in vSphere (--target [user:password@]host[/datacenter]). See USAGE.
 */
import { DatastoreTransferError, TaskTimeoutError, VimFault, VimRequestError } from '@vic/vsphere';
import { createVch } from './commands/create';
import { debugVch } from './commands/debug';
import { deleteVch } from './commands/delete';
import { inspectVch } from './commands/inspect';
import { listVchs } from './commands/ls';
import { startExistingVch } from './commands/start';
import { configureVsphereVch } from './commands/vsphere-configure';
import { createVsphereVch } from './commands/vsphere-create';
import { debugVsphereVch } from './commands/vsphere-debug';
import { startVsphereVch } from './commands/vsphere-start';
import { deleteVsphereVch } from './commands/vsphere-delete';
import { inspectVsphereConfig, inspectVsphereVch } from './commands/vsphere-inspect';
import { listVsphereVchs } from './commands/vsphere-ls';
import { VicMachineError } from './errors';
import { DEFAULT_APPLIANCE_ISO, DEFAULT_ISO, DEFAULT_STATE_ROOT, parseCommandLine, parseHost, parseLimit, parseLogLevel, parseName, parsePort, parseTimeout, parseVolumeStores as parseLocalVolumeStores, targetKind, type OptionName, type ParsedCommandLine } from './options';
import { readVchConfig, vchExists } from './vch-config';
import { parseTlsFlags } from './tls-flags';
import { vchLayout, type VchLayout } from './vch-layout';
import { DEFAULT_APPLIANCE_TIMEOUT_MS } from './vsphere/appliance-power';
import { parseContainerNetworks } from './vsphere/container-network-flag';
import { parsePublicNetwork } from './vsphere/public-network-flag';
import { parseVolumeStores } from './vsphere/volume-store-flag';
import { parseVsphereTarget } from './vsphere/vsphere-target';

const USAGE = `usage: vic-machine <command> --target local|[user:password@]host[/datacenter] [options]

local target (--target local): VCHs on this machine, each container a QEMU VM
  create   --name N [--host ADDRESS] [--port P] [--no-tls [--force]] [--insecure-registry R ...]
           [--volume-store DIR:LABEL ...] [--iso PATH] [--tls-cname NAME] [--no-tlsverify] [--tls-ca FILE ...]
           make a VCH and start its endpoint; prints the docker environment to use it
           (TLS with client certificates on port 2376 by default: --tls-cname adds a name to the
           server certificate, --tls-ca accepts client certificates of more CAs, --no-tlsverify
           asks for none; --no-tls: plain HTTP on 2375,
           loopback addresses only unless --force; --port 0 picks a free port; volume disks go to
           the store docker volume create -o VolumeStore=LABEL names, "default" otherwise)
  start    --name N     start a stopped VCH's endpoint again
  inspect  --name N     status, endpoint address and docker environment of a VCH
  ls                    one line per VCH: name, status, DOCKER_HOST
  delete   --name N     stop the endpoint and its VMs and remove the VCH
  debug    --name N [--log-level debug|info]   the endpoint's log level (debug: a line per API request);
                        a running endpoint restarts with it, its containers keep running

vSphere target (--target [https://][user[:password]@]host[:port][/datacenter], --user, --password;
--thumbprint T pins vSphere's certificate, --force accepts any; --compute-resource CLUSTER|HOST[/Resources/POOL]
when there are several): the VCH is a vApp holding its appliance VM (which runs the endpoint) and the container VMs
  create     --name N --public-network-ip ADDRESS/PREFIX [--public-network-gateway IP] [--dns-server IP ...]
             [--image-store DS[/PATH]] [--volume-store DS/PATH:LABEL ...] [--public-network NET]
             [--bridge-network NET] [--container-network PORTGROUP:ALIAS --container-network-gateway PORTGROUP:GW/PREFIX
             [--container-network-ip-range PORTGROUP:CIDR] ...] [--cpu MHZ] [--memory MB] [--no-tls]
             [--tls-cname NAME] [--no-tlsverify] [--tls-ca FILE ...] (as for local VCHs)
             [--insecure-registry R ...] [--iso PATH] [--appliance-iso PATH] [--timeout 10m]
             checks every prerequisite first; makes the vApp (with the limits), the image store folder
             with the bootstrap and appliance ISOs, the volume store folders and the appliance VM (static
             address on the public network, docker on port 2376 there), powers it on and waits up to
             --timeout until docker can use it; undoes it all on failure
  start      --name N [--timeout 10m]   power the appliance on and wait for its endpoint
  inspect    --name N [config]    the VCH as the inventory records it; "config": its create options
  ls                              the VCHs in the compute resource
  configure  --name N [--cpu MHZ] [--memory MB] [--volume-store DS/PATH:LABEL ...] [--timeout 10m]
             change the vApp's limits; add volume stores (the appliance restarts to use them);
             running containers are not touched
  delete     --name N [--force]   remove the VCH; --force when container VMs are running (and to
                                  delete its volume stores)
  debug      --name N [--log-level debug|info] [--timeout 10m]   set the endpoint's log level (the
                                  appliance restarts when it changes) and show its console's tail

every command: --state-root DIR (default ${DEFAULT_STATE_ROOT}), where each VCH has its local folder`;

const LOCAL_OPTIONS: Record<string, OptionName[]> = {
  create: ['name', 'host', 'port', 'no-tls', 'force', 'insecure-registry', 'volume-store', 'iso', 'tls-cname', 'no-tlsverify', 'tls-ca'],
  start: ['name'],
  inspect: ['name'],
  ls: [],
  delete: ['name'],
  debug: ['name', 'log-level'],
};
const CONNECT: OptionName[] = ['user', 'password', 'thumbprint', 'force', 'compute-resource'];
const VSPHERE_OPTIONS: Record<string, OptionName[]> = {
  create: [
    ...CONNECT, 'name', 'image-store', 'volume-store', 'public-network', 'public-network-ip', 'public-network-gateway', 'dns-server', 'bridge-network',
    'container-network', 'container-network-gateway', 'container-network-ip-range', 'cpu', 'memory', 'no-tls', 'tls-cname', 'no-tlsverify', 'tls-ca',
    'insecure-registry', 'iso', 'appliance-iso', 'timeout',
  ],
  start: [...CONNECT, 'name', 'timeout'],
  inspect: [...CONNECT, 'name'],
  ls: CONNECT,
  configure: [...CONNECT, 'name', 'cpu', 'memory', 'volume-store', 'timeout'],
  delete: [...CONNECT, 'name'],
  debug: [...CONNECT, 'name', 'log-level', 'timeout'],
};

function checkOptions(command: string, allowedByCommand: Record<string, OptionName[]>, { given }: ParsedCommandLine, where: string): void {
  const allowed = allowedByCommand[command];
  if (allowed === undefined) throw new VicMachineError(`unknown command ${command} for ${where}; commands: ${Object.keys(allowedByCommand).join(', ')}`);
  const extra = [...given].find((option) => option !== 'target' && option !== 'state-root' && !allowed.includes(option));
  if (extra) throw new VicMachineError(`vic-machine ${command} does not take --${extra} with ${where}`);
}

/** A vSphere VCH's local folder is not a local VCH: deleting it alone would orphan its vApp. */
function refuseVsphereVch(layout: VchLayout, command: string): void {
  if (!vchExists(layout)) return;
  const { vsphere } = readVchConfig(layout);
  if (vsphere) throw new VicMachineError(`VCH ${layout.name} is in vSphere (${vsphere.sdkUrl}, ${vsphere.computeResource}); run vic-machine ${command} with that --target`);
}

async function runLocal(parsed: ParsedCommandLine, stateRoot: string): Promise<void> {
  const { command, values } = parsed;
  checkOptions(command!, LOCAL_OPTIONS, parsed, '--target local');
  if (values.force && !values['no-tls']) throw new VicMachineError('--force only applies to --no-tls (plain HTTP on a non-loopback address)');
  if (command === 'ls') return listVchs(stateRoot);
  const layout = vchLayout(stateRoot, parseName(values.name));
  if (command !== 'create') refuseVsphereVch(layout, command!);
  switch (command) {
    case 'create': {
      const tls = parseTlsFlags(values);
      return createVch({
        layout,
        stateRoot,
        host: parseHost(values.host),
        port: parsePort(values.port, tls !== undefined),
        ...(tls === undefined ? {} : { tls }),
        force: values.force ?? false,
        insecureRegistries: values['insecure-registry'] ?? [],
        volumeStores: parseLocalVolumeStores(values['volume-store'] ?? []),
        iso: values.iso ?? DEFAULT_ISO,
      });
    }
    case 'start':
      return startExistingVch(layout);
    case 'inspect':
      if (parsed.subcommand === 'config') throw new VicMachineError('inspect config is for vSphere targets; vic-machine inspect shows a local VCH');
      return inspectVch(layout);
    case 'delete':
      return deleteVch(layout);
    case 'debug':
      return debugVch(layout, parseLogLevel(values['log-level']));
  }
}

async function runVsphere(parsed: ParsedCommandLine, stateRoot: string): Promise<void> {
  const { command, values } = parsed;
  checkOptions(command!, VSPHERE_OPTIONS, parsed, 'a vSphere target');
  const target = parseVsphereTarget({ target: values.target, ...(values.user === undefined ? {} : { user: values.user }), ...(values.password === undefined ? {} : { password: values.password }) });
  const connect = {
    ...(values.thumbprint === undefined ? {} : { thumbprint: values.thumbprint }),
    ...(values.force === undefined ? {} : { force: values.force }),
    ...(values['compute-resource'] === undefined ? {} : { computeResource: values['compute-resource'] }),
  };
  if (command === 'ls') return listVsphereVchs(stateRoot, target, connect);
  const layout = vchLayout(stateRoot, parseName(values.name));
  const volumeStores = parseVolumeStores(values['volume-store'] ?? []);
  const cpuMHz = parseLimit('cpu', values.cpu);
  const memoryMB = parseLimit('memory', values.memory);
  const limits = { ...(cpuMHz === undefined ? {} : { cpuMHz }), ...(memoryMB === undefined ? {} : { memoryMB }) };
  const timeoutMs = parseTimeout(values.timeout, DEFAULT_APPLIANCE_TIMEOUT_MS);
  switch (command) {
    case 'create': {
      const tls = parseTlsFlags(values);
      return createVsphereVch({
        layout,
        stateRoot,
        ...(tls === undefined ? {} : { tls }),
        insecureRegistries: values['insecure-registry'] ?? [],
        isos: { bootstrap: values.iso ?? DEFAULT_ISO, appliance: values['appliance-iso'] ?? DEFAULT_APPLIANCE_ISO },
        network: parsePublicNetwork(values),
        timeoutMs,
        target,
        limits,
        flags: {
          ...connect,
          ...(values['image-store'] === undefined ? {} : { imageStore: values['image-store'] }),
          ...(values['public-network'] === undefined ? {} : { publicNetwork: values['public-network'] }),
          ...(values['bridge-network'] === undefined ? {} : { bridgeNetwork: values['bridge-network'] }),
          volumeStores,
          containerNetworks: parseContainerNetworks(values['container-network'] ?? [], values['container-network-gateway'] ?? [], values['container-network-ip-range'] ?? []),
        },
      });
    }
    case 'start':
      return startVsphereVch(layout, target, connect, timeoutMs);
    case 'inspect':
      return parsed.subcommand === 'config' ? inspectVsphereConfig(layout, target, connect) : inspectVsphereVch(layout, target, connect);
    case 'configure':
      return configureVsphereVch(layout, target, connect, { limits, volumeStores }, timeoutMs);
    case 'delete':
      return deleteVsphereVch(layout, target, connect);
    case 'debug':
      return debugVsphereVch(layout, target, connect, parseLogLevel(values['log-level']), timeoutMs);
  }
}

async function run(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(argv);
  const { command, values } = parsed;
  if (values.help || command === undefined || command === 'help') {
    console.log(USAGE);
    return;
  }
  const stateRoot = values['state-root'] ?? DEFAULT_STATE_ROOT;
  return targetKind(values.target) === 'local' ? runLocal(parsed, stateRoot) : runVsphere(parsed, stateRoot);
}

/** The user's message for a failure, or undefined for a bug (which keeps its stack trace). */
function userMessage(error: unknown): string | undefined {
  if (error instanceof VicMachineError) return error.message;
  // vSphere's own refusals and transport failures are messages for the user too, not crashes.
  if (error instanceof VimFault) return `vSphere: ${error.faultName}: ${error.message}`;
  if (error instanceof VimRequestError || error instanceof DatastoreTransferError || error instanceof TaskTimeoutError) return `vSphere: ${error.message}`;
  return undefined;
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  const message = userMessage(error);
  if (message === undefined) throw error;
  console.error(`vic-machine: ${message}`);
  process.exitCode = 1;
}
