export { QemuVm, VM_START_TIMEOUT_MS, VM_QUIT_TIMEOUT_MS } from './qemu-vm';
export type { VmSpec, DiskSpec, Accel, VmExit } from './vm-spec';
export { detectAccel, defaultAccel, probeKvm, KVM_PROBE_TIMEOUT_MS, type ProbeMedia } from './accel';
export { extractBootMedia, defaultBootMediaCache, ISO_KERNEL_PATH, ISO_INITRD_PATH, type BootMedia } from './boot-media';
export { BASELINE_CMDLINE, kernelCmdline } from './kernel-cmdline';
export { TETHER_PORT_NAME, MACHINE_TYPE, MAX_DISK_SERIAL } from './qemu-args';
export { killAllVms, liveVms } from './vm-registry';
