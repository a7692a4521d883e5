#!/usr/bin/env node
/**
 * vic-machine: creates and manages virtual container hosts (VCHs) on this machine.
 *
 *   vic-machine create  --target local --name N [--host H] [--port P] [--no-tls [--force]] [--insecure-registry R ...] [--volume-store DIR:LABEL ...] [--iso PATH]
 *   vic-machine start   --target local --name N
 *   vic-machine inspect --target local --name N
 *   vic-machine ls      --target local
 *   vic-machine delete  --target local --name N
 *
 * Every command takes --state-root DIR (default /var/lib/vic), where each VCH has its folder.
 */
import { createVch } from './commands/create';
import { deleteVch } from './commands/delete';
import { inspectVch } from './commands/inspect';
import { listVchs } from './commands/ls';
import { startExistingVch } from './commands/start';
import { VicMachineError } from './errors';
import { DEFAULT_ISO, DEFAULT_STATE_ROOT, parseCommandLine, parseHost, parseName, parsePort, parseTarget, parseVolumeStores, type OptionName, type ParsedCommandLine } from './options';
import { vchLayout } from './vch-layout';

const USAGE = `usage: vic-machine <command> --target local [options]

commands:
  create   --name N [--host ADDRESS] [--port P] [--no-tls [--force]] [--insecure-registry R ...]
           [--volume-store DIR:LABEL ...] [--iso PATH]
           make a VCH and start its endpoint; prints the docker environment to use it
           (TLS with client certificates on port 2376 by default; --no-tls: plain HTTP on 2375,
           loopback addresses only unless --force; --port 0 picks a free port; volume disks go to
           the store docker volume create -o VolumeStore=LABEL names, "default" otherwise)
  start    --name N     start a stopped VCH's endpoint again
  inspect  --name N     status, endpoint address and docker environment of a VCH
  ls                    one line per VCH: name, status, DOCKER_HOST
  delete   --name N     stop the endpoint and its VMs and remove the VCH

every command: --state-root DIR (default ${DEFAULT_STATE_ROOT})`;

const commandOptions: Record<string, OptionName[]> = {
  create: ['host', 'port', 'no-tls', 'force', 'insecure-registry', 'volume-store', 'iso'],
  start: [],
  inspect: [],
  ls: [],
  delete: [],
};

function checkOptions(command: string, { given, values }: ParsedCommandLine): void {
  const allowed = new Set<OptionName>(['target', 'state-root', ...(command === 'ls' ? [] : ['name' as const]), ...(commandOptions[command] ?? [])]);
  const extra = [...given].find((option) => !allowed.has(option));
  if (extra) throw new VicMachineError(`vic-machine ${command} does not take --${extra}`);
  if (values.force && !values['no-tls']) throw new VicMachineError('--force only applies to --no-tls (plain HTTP on a non-loopback address)');
}

async function run(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(argv);
  const { command, values } = parsed;
  if (values.help || command === undefined || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (!(command in commandOptions)) throw new VicMachineError(`unknown command ${command}; commands: ${Object.keys(commandOptions).join(', ')}`);
  checkOptions(command, parsed);
  parseTarget(values.target);
  const stateRoot = values['state-root'] ?? DEFAULT_STATE_ROOT;
  if (command === 'ls') return listVchs(stateRoot);
  const layout = vchLayout(stateRoot, parseName(values.name));
  switch (command) {
    case 'create': {
      const tls = !values['no-tls'];
      return createVch({
        layout,
        stateRoot,
        host: parseHost(values.host),
        port: parsePort(values.port, tls),
        tls,
        force: values.force ?? false,
        insecureRegistries: values['insecure-registry'] ?? [],
        volumeStores: parseVolumeStores(values['volume-store'] ?? []),
        iso: values.iso ?? DEFAULT_ISO,
      });
    }
    case 'start':
      return startExistingVch(layout);
    case 'inspect':
      return inspectVch(layout);
    case 'delete':
      return deleteVch(layout);
  }
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof VicMachineError)) throw error;
  console.error(`vic-machine: ${error.message}`);
  process.exitCode = 1;
}
