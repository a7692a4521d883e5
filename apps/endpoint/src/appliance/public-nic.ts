import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { ApplianceConfig } from '@vic/protocol';
import { say } from './console';

const run = promisify(execFile);
const IP_TIMEOUT_MS = 10_000;
const NIC_WAIT_MS = 30_000;

/**
 * Gives the public NIC (the VM's first vmxnet3) its static address, gateway and DNS servers, and
 * brings up loopback (the endpoint's own connections to itself).
 */
export async function configurePublicNic(network: ApplianceConfig['network']): Promise<void> {
  const nic = await waitForFirstVmxnet3();
  await ip('link', 'set', 'lo', 'up');
  await ip('addr', 'flush', 'dev', nic);
  await ip('addr', 'add', network.address, 'dev', nic);
  await ip('link', 'set', nic, 'up');
  if (network.gateway) await ip('route', 'replace', 'default', 'via', network.gateway, 'dev', nic);
  writeFileSync('/etc/resolv.conf', (network.dns ?? []).map((server) => `nameserver ${server}\n`).join(''));
  writeFileSync('/etc/hosts', '127.0.0.1 localhost\n::1 localhost\n');
  say(`public NIC ${nic}: ${network.address}${network.gateway ? ` via ${network.gateway}` : ''}${network.dns?.length ? `, DNS ${network.dns.join(' ')}` : ''}`);
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args, { timeout: IP_TIMEOUT_MS }).catch((error: Error & { stderr?: string }) => {
    throw new Error(`network configuration failed: ip ${args.join(' ')}: ${(error.stderr ?? error.message).trim()}`);
  });
}

/** The vmxnet3 interface with the lowest PCI address: vSphere's first NIC. */
async function waitForFirstVmxnet3(): Promise<string> {
  const deadline = Date.now() + NIC_WAIT_MS;
  for (;;) {
    const nics = readdirSync('/sys/class/net')
      .filter((name) => existsSync(`/sys/class/net/${name}/device/driver`) && basename(readlinkSync(`/sys/class/net/${name}/device/driver`)) === 'vmxnet3')
      .map((name) => ({ name, pci: basename(readlinkSync(`/sys/class/net/${name}/device`)) }))
      .sort((a, b) => a.pci.localeCompare(b.pci));
    if (nics[0]) return nics[0].name;
    if (Date.now() > deadline) throw new Error(`no vmxnet3 NIC appeared within ${NIC_WAIT_MS / 1000} s: the appliance VM needs its public NIC (a vmxnet3)`);
    await sleep(200);
  }
}
