import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APPLIANCE_GUESTINFO_KEY, renderGuestInfo, type ApplianceConfig } from '@vic/protocol';
import { checkApplianceConfig, readApplianceConfig } from '../../src/appliance/guestinfo';

/* The appliance's boot program reading its configuration: a real fw_cfg-style guestinfo file on disk. */

const work = mkdtempSync(join(tmpdir(), 'vic-appliance-guestinfo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const good: ApplianceConfig = {
  network: { address: '192.168.20.5/24', gateway: '192.168.20.1', dns: ['192.168.20.1'] },
  files: { '/etc/vic/tls/ca.pem': 'pem', '/etc/vic/vsphere-credentials.json': '{}' },
  endpointArgs: ['--name', 'vch', '--port', '2376'],
};

function guestInfoFile(name: string, entries: Record<string, string>): string {
  const file = join(work, name);
  writeFileSync(file, renderGuestInfo(entries));
  return file;
}

describe('the appliance configuration from guestinfo', () => {
  it('reads the ApplianceConfig among other guestinfo entries', () => {
    const file = guestInfoFile('good', { 'guestinfo.other': 'x', [APPLIANCE_GUESTINFO_KEY]: JSON.stringify(good) });
    expect(readApplianceConfig(file)).toEqual(good);
  });

  it('says what is missing: no guestinfo, no key, not JSON', () => {
    expect(() => readApplianceConfig(join(work, 'absent'))).toThrow(`the VM has no guestinfo (${join(work, 'absent')} is missing): it must be created by vic-machine`);
    expect(() => readApplianceConfig(guestInfoFile('nokey', { 'guestinfo.vic.id': 'x' }))).toThrow(`the VM's guestinfo lacks ${APPLIANCE_GUESTINFO_KEY}`);
    expect(() => readApplianceConfig(guestInfoFile('notjson', { [APPLIANCE_GUESTINFO_KEY]: '{nope' }))).toThrow(`${APPLIANCE_GUESTINFO_KEY} is not JSON: `);
  });

  it('names the bad field', () => {
    const bad = (change: object) => () => checkApplianceConfig({ ...good, ...change });
    expect(() => checkApplianceConfig([])).toThrow(`${APPLIANCE_GUESTINFO_KEY}: is not a JSON object`);
    expect(bad({ network: undefined })).toThrow(`${APPLIANCE_GUESTINFO_KEY}: network is missing`);
    expect(bad({ network: { address: '192.168.20.5' } })).toThrow(`${APPLIANCE_GUESTINFO_KEY}: network.address "192.168.20.5" is not an IPv4 address with a prefix length (e.g. 192.168.20.5/24)`);
    expect(bad({ network: { address: '192.168.20.5/33' } })).toThrow('network.address "192.168.20.5/33" is not');
    expect(bad({ network: { address: '10.0.0.2/8', gateway: 'router' } })).toThrow(`${APPLIANCE_GUESTINFO_KEY}: network.gateway "router" is not an IPv4 address`);
    expect(bad({ network: { address: '10.0.0.2/8', dns: '1.1.1.1' } })).toThrow(`${APPLIANCE_GUESTINFO_KEY}: network.dns "1.1.1.1" is not a list of IPv4 addresses`);
    expect(bad({ files: { '/etc/passwd': 'x' } })).toThrow(`${APPLIANCE_GUESTINFO_KEY}: files: "/etc/passwd" is not a normalized absolute path under /etc/vic`);
    expect(bad({ files: { '/etc/vic/../passwd': 'x' } })).toThrow('files: "/etc/vic/../passwd" is not a normalized absolute path under /etc/vic');
    expect(bad({ files: { '/etc/vic/a': 1 } })).toThrow(`${APPLIANCE_GUESTINFO_KEY}: files: the content of /etc/vic/a is not a string`);
    expect(bad({ endpointArgs: '--name vch' })).toThrow(`${APPLIANCE_GUESTINFO_KEY}: endpointArgs is not a list of strings`);
  });

  it('keeps only the fields the contract has', () => {
    const { network, files, endpointArgs } = checkApplianceConfig({ ...good, network: { address: '10.0.0.2/8' }, extra: true });
    expect({ network, files, endpointArgs }).toEqual({ network: { address: '10.0.0.2/8' }, files: good.files, endpointArgs: good.endpointArgs });
    expect(checkApplianceConfig({ ...good, extra: true })).not.toHaveProperty('extra');
  });
});
