import { mkdirSync } from 'node:fs';
import { native } from '../sys/native';

/** The kernel file systems PID 1 itself needs before anything else. */
export function mountKernelFilesystems(): void {
  const mounts: [string, string, string][] = [
    ['proc', '/proc', 'proc'],
    ['sysfs', '/sys', 'sysfs'],
    ['devtmpfs', '/dev', 'devtmpfs'],
  ];
  for (const [source, target, fstype] of mounts) {
    mkdirSync(target, { recursive: true });
    try {
      native.mount(source, target, fstype, native.MS_NOSUID, '');
    } catch (err) {
      if (!(err as Error).message.includes('EBUSY')) throw err;
    }
  }
}
