import { rmSync } from 'node:fs';
import { stopEndpoint } from '../endpoint-process';
import { progress } from '../progress';
import { readVchConfig } from '../vch-config';
import type { VchLayout } from '../vch-layout';
import { killVchProcesses } from '../vch-processes';

/** `vic-machine delete`: stops the endpoint, ends any VM it left behind, removes the VCH's folder. */
export async function deleteVch(layout: VchLayout): Promise<void> {
  readVchConfig(layout);
  progress(`stopping the endpoint of VCH ${layout.name}`);
  await stopEndpoint(layout);
  const killed = await killVchProcesses(layout);
  if (killed.length > 0) progress(`ended ${killed.length} leftover process(es) of the VCH: ${killed.join(', ')}`);
  progress(`removing ${layout.dir}`);
  rmSync(layout.dir, { recursive: true, force: true });
  progress(`VCH ${layout.name} deleted`);
}
