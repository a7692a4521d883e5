import { native } from './sys/native';
import { log } from './log';

/** Ends the VM. The writable layer is journaled ext4, so sync is all it needs. */
export function powerOff(reason: string): never {
  log(`powering off: ${reason}`);
  native.reboot('poweroff');
  process.exit(0);
}
