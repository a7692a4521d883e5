import { setTimeout as sleep } from 'node:timers/promises';
import { powerOffVm, powerOnVm, type MoRef, type VimSession } from '@vic/vsphere';
import { dockerHost } from '../endpoint-address';
import { VicMachineError } from '../errors';
import { pingEndpoint } from '../ping';
import { progress } from '../progress';
import type { VchConfig } from '../vch-config';
import type { VchLayout } from '../vch-layout';
import { applianceConsoleTail, type ApplianceFiles } from './appliance-console';

/** Booting the appliance under software emulation (the test harness) takes minutes; on ESX, seconds. */
export const DEFAULT_APPLIANCE_TIMEOUT_MS = 10 * 60_000;
const PING_INTERVAL_MS = 2_000;
const PING_TIMEOUT_MS = 5_000;
const PROGRESS_INTERVAL_MS = 15_000;
/** A powered-off VM's endpoint is gone at once on ESX; this bounds a host that is slow to stop it. */
const GONE_TIMEOUT_MS = 60_000;

export interface Appliance {
  readonly session: VimSession;
  readonly vm: MoRef;
  readonly files: ApplianceFiles;
}

/** How this machine checks the endpoint: the docker address and the client certificates of vch.json's folder. */
export interface ApplianceClient {
  readonly config: VchConfig;
  readonly layout: VchLayout;
}

/**
 * Waits (bounded) until the appliance's endpoint answers /_ping as docker would reach it: at the
 * public address, over TLS with the client certificate. A progress line every 15 s says it is
 * still waiting. On timeout the error carries the appliance console's tail.
 */
export async function waitForAppliance(appliance: Appliance, client: ApplianceClient, timeoutMs: number): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const address = dockerHost(client.config);
  progress(`waiting for the appliance to answer /_ping at ${address} (up to ${Math.round(timeoutMs / 1000)} s)`);
  let nextProgress = started + PROGRESS_INTERVAL_MS;
  let reason = 'no answer yet';
  while (Date.now() < deadline) {
    const ping = await pingEndpoint(client.config, client.layout, Math.min(PING_TIMEOUT_MS, Math.max(1, deadline - Date.now())));
    if (ping.ok) {
      progress(`the appliance answers at ${address} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return;
    }
    reason = ping.reason;
    if (Date.now() >= nextProgress) {
      progress(`still waiting for the appliance at ${address} (${Math.round((Date.now() - started) / 1000)} s; last: ${reason})`);
      nextProgress += PROGRESS_INTERVAL_MS;
    }
    await sleep(Math.min(PING_INTERVAL_MS, Math.max(0, deadline - Date.now())));
  }
  throw new VicMachineError(
    `the appliance did not answer /_ping at ${address} within ${Math.round(timeoutMs / 1000)} s (last: ${reason})\n${await applianceConsoleTail(appliance.session, appliance.files)}`,
  );
}

/** Powers the appliance on and, when this machine can check it, waits until docker can use it. */
export async function bootAppliance(appliance: Appliance, client: ApplianceClient | undefined, timeoutMs: number): Promise<void> {
  progress('powering on the appliance VM');
  await powerOnVm(appliance.session, appliance.vm);
  if (client === undefined) {
    progress('this machine has no client certificates of the VCH (its local folder is on the machine that created it), so it does not wait for the endpoint');
    return;
  }
  await waitForAppliance(appliance, client, timeoutMs);
}

/**
 * Waits until the endpoint no longer answers, so an answer after the next power-on is the new
 * endpoint's and not the old one's from a VM its host has not stopped yet.
 */
async function waitUntilGone(client: ApplianceClient): Promise<void> {
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!(await pingEndpoint(client.config, client.layout, PING_TIMEOUT_MS)).ok) return;
    await sleep(PING_INTERVAL_MS / 4);
  }
  throw new VicMachineError(`the appliance's endpoint at ${dockerHost(client.config)} still answers ${GONE_TIMEOUT_MS / 1000} s after its VM was powered off`);
}

/**
 * Restarts the endpoint with a changed configuration: the appliance reads its guestinfo at boot, so
 * it is power-cycled. Container VMs keep running; the new endpoint takes them over from the inventory.
 */
export async function restartAppliance(appliance: Appliance, client: ApplianceClient | undefined, timeoutMs: number): Promise<void> {
  progress('powering off the appliance VM (container VMs keep running)');
  await powerOffVm(appliance.session, appliance.vm);
  if (client !== undefined) await waitUntilGone(client);
  await bootAppliance(appliance, client, timeoutMs);
}
