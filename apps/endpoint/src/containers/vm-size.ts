import type { ContainerHostConfig } from './container-record';

/** Below this the guest cannot unpack the bootstrap initramfs (measured: 320 MiB fails, 384 boots). */
export const MIN_VM_MEMORY_MIB = 384;
const MIB = 1024 * 1024;

export interface VmSize {
  /** Absent: the port layer's default. */
  memoryMiB?: number;
  cpus?: number;
  /** What the user should know about how the request was met, as `docker create` prints warnings. */
  warnings: string[];
}

/** A container's `--memory` and `--cpus` as its VM's size: the memory limit is the VM's memory, CPUs round up to whole vCPUs. */
export function vmSizeOf(host: ContainerHostConfig | undefined): VmSize {
  const warnings: string[] = [];
  let memoryMiB: number | undefined;
  if (host?.Memory) {
    memoryMiB = Math.ceil(host.Memory / MIB);
    if (memoryMiB < MIN_VM_MEMORY_MIB) {
      warnings.push(`a container VM needs at least ${MIN_VM_MEMORY_MIB} MiB to boot; this container's VM gets ${MIN_VM_MEMORY_MIB} MiB instead of ${memoryMiB} MiB`);
      memoryMiB = MIN_VM_MEMORY_MIB;
    }
  }
  const cpus = host?.NanoCpus ? Math.max(1, Math.ceil(host.NanoCpus / 1e9)) : undefined;
  return { ...(memoryMiB ? { memoryMiB } : {}), ...(cpus ? { cpus } : {}), warnings };
}
