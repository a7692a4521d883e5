import { folderUrl, reconfigureVm } from '@vic/vsphere';
import type { LogLevel } from '../options';
import { progress } from '../progress';
import type { VchLayout } from '../vch-layout';
import { applianceConsoleTail, consolePath } from '../vsphere/appliance-console';
import { applianceExtraConfig, logLevelOf, readApplianceConfig, withLogLevel } from '../vsphere/appliance-config';
import { applianceConsole } from '../vsphere/appliance-vm';
import { restartAppliance } from '../vsphere/appliance-power';
import { localClient } from '../vsphere/appliance-status';
import { RECORD_KEYS } from '../vsphere/vch-record';
import type { VsphereTarget } from '../vsphere/vsphere-target';
import { applianceOf, requireVch, withVsphere, type ConnectFlags } from '../vsphere/vsphere-command';

/**
 * `vic-machine debug` on vSphere: sets the endpoint's log level (debug: a line per API request on
 * the appliance's console), which the endpoint reads at its start, so a powered-on appliance whose
 * level changes is power-cycled (container VMs keep running); then shows the tail of the
 * appliance's console and where the whole of it is. VIC's debug also enabled SSH on the
 * appliance; this appliance has no SSH server: its console is the way in.
 */
export async function debugVsphereVch(layout: VchLayout, target: VsphereTarget, flags: ConnectFlags, level: LogLevel, timeoutMs: number): Promise<void> {
  await withVsphere(target, flags, async (connection) => {
    const vch = await requireVch(connection, layout.name);
    const appliance = applianceOf(connection, vch);
    const config = readApplianceConfig(layout.name, vch.extraConfig);
    if (logLevelOf(config) === level) {
      progress(`VCH ${layout.name}: the endpoint logs at level ${level} already`);
    } else {
      await reconfigureVm(connection.session, vch.endpointVm, { extraConfig: { [RECORD_KEYS.logLevel]: level, ...applianceExtraConfig(withLogLevel(config, level)) } });
      if (vch.endpointPower === 'poweredOn') {
        progress(`VCH ${layout.name}: restarting the appliance with log level ${level}; container VMs keep running`);
        await restartAppliance(appliance, localClient(layout, vch.pool), timeoutMs);
      } else {
        progress(`VCH ${layout.name}: log level ${level}, from the appliance's next start`);
      }
    }
    console.log(await applianceConsoleTail(connection.session, appliance.files));
    const url = folderUrl(connection.session, { datacenterPath: appliance.files.datacenterPath, datastore: appliance.files.datastore, path: applianceConsole(appliance.files.storeFolder) });
    console.log(`The whole console is ${consolePath(appliance.files)} on the datastore: the datastore browser shows it, or GET ${url.href} with a vSphere login.`);
  });
}
