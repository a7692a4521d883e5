import type { Vcsim, VcsimInventory } from './vcsim';

const POLL_MS = 250;

/**
 * Hands vcsim's inventory to `onInventory` every 250 ms, one call at a time (a slow call makes the
 * next tick skip, never overlap), for the test stand-ins that play what vcsim does not run. What a
 * call throws goes to `onError`, and watching goes on.
 */
export function watchInventory(vcsim: Vcsim, onInventory: (inventory: VcsimInventory) => Promise<void>, onError: (error: Error) => void): { stop(): void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    vcsim
      .inventory()
      .then(onInventory)
      .catch((error: unknown) => onError(error as Error))
      .finally(() => (busy = false));
  }, POLL_MS);
  return { stop: () => clearInterval(timer) };
}
