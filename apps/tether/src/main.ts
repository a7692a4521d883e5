import { mountKernelFilesystems } from './boot/early-mounts';
import { readBootArgs } from './boot/kernel-args';
import { loadModules } from './boot/load-modules';
import { findVirtioPort, TETHER_PORT_NAME } from './channel/find-port';
import { PortChannel } from './channel/port-channel';
import { ContainerAgent } from './container-agent';
import { TetherLink } from './link/tether-link';
import { log } from './log';
import { powerOff } from './power';
import { Reaper } from './reaper';

// Reads and writes of the channel each hold a pool thread for as long as they block.
process.env.UV_THREADPOOL_SIZE ??= '16';

async function main(): Promise<void> {
  mountKernelFilesystems();
  loadModules();
  const reaper = new Reaper();
  reaper.start();
  const identity = readBootArgs();
  const port = await findVirtioPort(TETHER_PORT_NAME, 10_000);
  const channel = await PortChannel.open(port);
  const link = new TetherLink(channel, identity);
  link.serve(new ContainerAgent(link, reaper));
  log(`ready: container ${identity.containerId} on ${port}`);
}

// PID 1 must never die of an exception: the kernel would panic with the container's state lost.
process.on('uncaughtException', (err) => log(`uncaught: ${err.stack ?? err.message}`));
main().catch((err: Error) => powerOff(`boot failed: ${err.stack ?? err.message}`));
