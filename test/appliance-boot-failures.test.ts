import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLIANCE_GUESTINFO_KEY, type ApplianceConfig } from '@vic/protocol';
import { ensureApplianceIso } from './support/bootstrap-iso';
import { bootIsoVm, type IsoVm } from './support/esx-host/iso-vm';

/*
 * The appliance when vic-machine's promises do not hold: appliance.iso booted as ESX boots it (the
 * harness's QEMU runner, from the CD-ROM, guestinfo over fw_cfg) with a configuration missing, or
 * without its data disk. The console says what is wrong and the boot program keeps trying instead
 * of powering off.
 */

/** Boot under TCG plus one retry round (10 s), generously: the machine is shared. */
const CONSOLE_TIMEOUT_MS = 180_000;

let work: string;
let iso: string;
const vms: IsoVm[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-appliance-boot-failures-'));
  iso = await ensureApplianceIso();
}, 900_000);

afterAll(async () => {
  await Promise.all(vms.map((vm) => vm.kill()));
  if (work) rmSync(work, { recursive: true, force: true });
});

function boot(name: string, guestInfo: Record<string, string>, nics: { mac: string; group: string; port: number }[]): IsoVm {
  const workDir = mkdtempSync(join(work, `${name}-`));
  const vm = bootIsoVm({ name, iso, workDir, guestInfo, serialPorts: [{ kind: 'file', path: join(workDir, 'console.log') }], disks: [], nics, memoryMiB: 1024 });
  vms.push(vm);
  return vm;
}

/** The console once `pattern` has appeared `times` times, bounded; the VM must still run. */
async function consoleWith(vm: IsoVm, pattern: string, times: number): Promise<string> {
  const deadline = Date.now() + CONSOLE_TIMEOUT_MS;
  let text = '';
  while (Date.now() < deadline) {
    text = existsSync(vm.consoleLog!) ? readFileSync(vm.consoleLog!, 'utf8') : '';
    if (text.split(pattern).length - 1 >= times) return text;
    await sleep(500);
  }
  throw new Error(`the console did not show ${JSON.stringify(pattern)} ${times} times within ${CONSOLE_TIMEOUT_MS / 1000} s:\n${text.slice(-3000)}`);
}

/** Whether the VM's QEMU has exited (the guest powered off) by now. */
function runState(vm: IsoVm): Promise<'running' | 'exited'> {
  // A timer fires after the promise callbacks of an exit that already happened.
  return Promise.race([vm.process.exited.then(() => 'exited' as const), sleep(0).then(() => 'running' as const)]);
}

describe('the appliance boot program on failures', () => {
  it('without its configuration in guestinfo: says so on the console and keeps trying', async () => {
    const vm = boot('no-config', { 'guestinfo.other': 'x' }, []);
    const message = `vic-appliance: error: the VM's guestinfo lacks ${APPLIANCE_GUESTINFO_KEY}; trying again in 10 s`;
    await consoleWith(vm, message, 2);
    expect(await runState(vm)).toBe('running');
  }, 300_000);

  it('without its data disk: names the slot it needs and keeps trying', async () => {
    const config: ApplianceConfig = { network: { address: '192.168.250.2/24' }, files: {}, endpointArgs: [] };
    const vm = boot('no-disk', { [APPLIANCE_GUESTINFO_KEY]: JSON.stringify(config) }, [{ mac: '00:50:56:3f:00:01', group: '239.254.250.1', port: 24_250 }]);
    const text = await consoleWith(vm, 'vic-appliance: error: no data disk at scsi0:0 appeared within 30 s (no SCSI disks): the appliance VM needs a disk on its PVSCSI controller, unit 0; trying again in 10 s', 1);
    expect(text).toContain('vic-appliance: public NIC eth0: 192.168.250.2/24');
    expect(text).not.toContain('starting the endpoint');
    expect(await runState(vm)).toBe('running');
  }, 300_000);
});
