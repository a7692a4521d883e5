/** What the registry needs from a VM to end it when its owner forgot to. */
export interface RegisteredVm {
  readonly name: string;
  /** Ends the process now and removes the VM's files, synchronously (safe in an exit handler). */
  killSync(): void;
  /** Ends the process and removes the VM's files. */
  kill(): Promise<unknown>;
}

const live = new Set<RegisteredVm>();
let exitHookInstalled = false;

/**
 * Every running VM is in here from spawn to cleanup, so a test's afterAll or the process exit
 * can end whatever is still running: QEMU must never outlive the process that started it.
 */
export function registerVm(vm: RegisteredVm): void {
  if (!exitHookInstalled) {
    process.once('exit', killAllVmsSync);
    exitHookInstalled = true;
  }
  live.add(vm);
}

export function unregisterVm(vm: RegisteredVm): void {
  live.delete(vm);
}

export function liveVms(): readonly RegisteredVm[] {
  return [...live];
}

export async function killAllVms(): Promise<void> {
  await Promise.all([...live].map((vm) => vm.kill()));
}

function killAllVmsSync(): void {
  for (const vm of [...live]) vm.killSync();
}
