import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RequestError } from '../link/tether-link';

/** The cgroup2 hierarchy, mounted inside the container's root (mount-rootfs.ts). */
const CGROUP_ROOT = '/sys/fs/cgroup';
const CONTAINER_CGROUP = `${CGROUP_ROOT}/container`;
/** The kernel freezes tasks as they reach a safe point; a task stuck in I/O can take a while. */
const FREEZE_TIMEOUT_MS = 10_000;
const FREEZE_POLL_MS = 10;

/**
 * The cgroup every process of the container runs in, and only those: `docker pause` freezes it
 * (the cgroup2 freezer, as runc does), so the tether outside it keeps answering (top, cp, stats)
 * while the container's processes stand still. A process is put in it by being born there: the
 * tether steps into the cgroup for the synchronous fork of a spawn and out again, so there is no
 * moment when a new process runs outside it.
 */
export class ContainerCgroup {
  private frozen = false;

  /** Call after the container's root (with its cgroup2 mount) is the tether's root. */
  static create(): ContainerCgroup {
    mkdirSync(CONTAINER_CGROUP, { recursive: true });
    return new ContainerCgroup();
  }

  /** Runs a spawn so that the process it forks starts in the container's cgroup. */
  spawnInside<T>(spawn: () => T): T {
    if (this.frozen) throw new RequestError({ code: 'EPAUSED', message: 'the container is paused' });
    writeFileSync(`${CONTAINER_CGROUP}/cgroup.procs`, String(process.pid));
    try {
      return spawn();
    } finally {
      writeFileSync(`${CGROUP_ROOT}/cgroup.procs`, String(process.pid));
    }
  }

  async freeze(): Promise<void> {
    await this.setFrozen(true);
  }

  async thaw(): Promise<void> {
    await this.setFrozen(false);
  }

  private async setFrozen(frozen: boolean): Promise<void> {
    writeFileSync(`${CONTAINER_CGROUP}/cgroup.freeze`, frozen ? '1' : '0');
    this.frozen = frozen;
    const deadline = Date.now() + FREEZE_TIMEOUT_MS;
    while (!readFileSync(`${CONTAINER_CGROUP}/cgroup.events`, 'utf8').includes(`frozen ${frozen ? 1 : 0}`)) {
      if (Date.now() > deadline) throw new RequestError({ code: 'ETIMEDOUT', message: `the container's processes did not ${frozen ? 'freeze' : 'thaw'} within ${FREEZE_TIMEOUT_MS / 1000} s` });
      await sleep(FREEZE_POLL_MS);
    }
  }
}
