/**
 * Every VM gets this before the spec's own arguments. panic=-1 turns a guest panic into a reset,
 * and -no-reboot turns a reset into QEMU exiting, so a dead guest never leaves a live process.
 * cryptomgr.notests skips the crypto self-tests, the slowest initcall under TCG (~0.3-0.5 s of
 * a 2.5 s boot; iso-build/README.md has the numbers). Keep in step with iso-build/isolinux/isolinux.cfg.
 */
export const BASELINE_CMDLINE = 'console=ttyS0 panic=-1 quiet cryptomgr.notests';

export function kernelCmdline(append?: string): string {
  const extra = append?.trim();
  return extra ? `${BASELINE_CMDLINE} ${extra}` : BASELINE_CMDLINE;
}
