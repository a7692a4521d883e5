import { mountKernelFilesystems } from './boot/early-mounts';
import { readBootArgs } from './boot/kernel-args';
import { loadModules } from './boot/load-modules';
import { openChannel } from './channel/open-channel';
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
  const { channel, path } = await openChannel(identity.channel);
  const link = new TetherLink(channel, identity);
  link.serve(new ContainerAgent(link, reaper));
  log(`ready: container ${identity.containerId} on ${path}`);
}

// PID 1 must never die of an exception: the kernel would panic with the container's state lost.
process.on('uncaughtException', (err) => log(`uncaught: ${err.stack ?? err.message}`));
main().catch((err: Error) => powerOff(`boot failed: ${err.stack ?? err.message}`));
