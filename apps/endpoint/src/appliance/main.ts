/**
 * The VCH appliance's boot program: PID 1 of the appliance ISO's initramfs (iso-build/rootfs/
 * appliance-init execs it once /proc, /sys and /dev are mounted). It reads the appliance's
 * configuration from its guestinfo (ApplianceConfig, written by vic-machine), then:
 *
 *   1. loads the drivers (guestinfo, PVSCSI, vmxnet3),
 *   2. gives the public NIC its static address,
 *   3. mounts the data disk at /var/lib/vic (formatting it on first boot),
 *   4. writes the configuration's files under /etc/vic,
 *   5. runs the endpoint with the configuration's arguments, restarting it whenever it exits.
 *
 * A step that fails is reported on the console and the steps are tried again: PID 1 must not exit
 * (the kernel would panic) and an appliance that powered itself off would leave nothing to read.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApplianceConfig } from '@vic/protocol';
import { writeConfigFiles } from './config-files';
import { complain, say } from './console';
import { mountDataDisk } from './data-disk';
import { superviseEndpoint } from './endpoint-supervisor';
import { readApplianceConfig } from './guestinfo';
import { loadKernelModules } from './kernel-modules';
import { configurePublicNic } from './public-nic';

const RETRY_MS = 10_000;
/** The endpoint's bundle sits next to this one on the appliance (apps/endpoint/build.sh). */
const ENDPOINT_BUNDLE = join(dirname(fileURLToPath(import.meta.url)), 'endpoint.mjs');

async function prepare(): Promise<ApplianceConfig> {
  await loadKernelModules();
  const config = readApplianceConfig();
  await configurePublicNic(config.network);
  await mountDataDisk();
  writeConfigFiles(config);
  return config;
}

say('booting');
for (;;) {
  try {
    const config = await prepare();
    await superviseEndpoint(ENDPOINT_BUNDLE, config.endpointArgs);
  } catch (error) {
    complain(`${(error as Error).message}; trying again in ${RETRY_MS / 1000} s`);
    await sleep(RETRY_MS);
  }
}
