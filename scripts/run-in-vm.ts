/**
 * Boots one container VM over the busybox test root and runs a command in it, streaming its
 * output: `npm start -- uname -a`. Default: a short tour of what the container sees.
 */
import { exitCode } from '@vic/protocol';
import { bootBusyboxContainer } from '../test/support/container-vm';

const argv = process.argv.slice(2);
const command = argv.length > 0 ? argv : ['sh', '-c', 'echo "hello from $(hostname), a container VM"; uname -sr; cat /proc/cpuinfo | grep -m1 "model name"; df -h / | tail -1'];

const started = Date.now();
console.log(`vic: booting a container VM and running: ${command.join(' ')}`);
const container = await bootBusyboxContainer('vic-demo');
try {
  const main = await container.client.startSession({ id: 'main', argv: command, env: [], openStdin: false, holdUntilAttached: false });
  main.stdout.pipe(process.stdout);
  main.stderr.pipe(process.stderr);
  const exit = await main.finished();
  await main.release();
  console.log(`vic: exit code ${exitCode(exit)} after ${((Date.now() - started) / 1000).toFixed(1)} s (boot included)`);
  process.exitCode = exitCode(exit);
} finally {
  await container.cleanup();
}
