import { describeAccess } from '../tls-flags';
import { dockerEnvLines, dockerHost } from '../endpoint-address';
import { readVchConfig } from '../vch-config';
import type { VchLayout } from '../vch-layout';
import { describeStatus, vchStatus } from '../vch-status';

/** `vic-machine inspect`: the VCH's status, where it serves, and the docker environment to use it. */
export async function inspectVch(layout: VchLayout): Promise<void> {
  const config = readVchConfig(layout);
  const status = await vchStatus(layout, config);
  const security = describeAccess(config);
  console.log(`VCH:      ${config.name}`);
  console.log(`status:   ${describeStatus(status)}`);
  console.log(`endpoint: ${dockerHost(config)} (${security}; bound to ${config.host})`);
  console.log(`state:    ${layout.dir}`);
  console.log(`log:      ${layout.log}`);
  console.log(`created:  ${config.createdAt}`);
  if (config.insecureRegistries.length > 0) console.log(`insecure registries: ${config.insecureRegistries.join(', ')}`);
  for (const [label, dir] of Object.entries(config.volumeStores ?? {})) console.log(`volume store ${label}: ${dir}`);
  console.log('');
  for (const line of dockerEnvLines(config, layout)) console.log(line);
}
