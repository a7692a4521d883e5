import type { Readable } from 'node:stream';
import type { PathStat } from '@vic/protocol';
import { orThrow } from '../api/container-errors';
import type { ContainerRecord } from '../containers/container-record';
import type { ContainerRuntime } from '../containers/container-runtime';
import type { FilesystemAccess } from '../portlayer/port-layer';
import { downloadArchive, uploadArchive } from '../tether-bridge/archive-transfer';
import type { TetherClient } from '../tether-bridge/tether-client';
import { archiveApiError } from './archive-error';
import { guestLookupPath, type ContainerPath } from './container-path';
import { extractOnHost, statOnHost, tarOnHost } from './host-archive';

/** Hands a tar on (to an HTTP reply, say) and settles when it has gone or could not. */
export type TarConsumer = (stat: PathStat, tar: Readable) => Promise<void>;

/**
 * A container's files for `docker cp` and `docker export`: through its tether while it runs, on
 * the host through the port layer while its VM is off. Refusals come out as dockerd's API errors.
 */
export class ContainerFiles {
  constructor(private readonly runtime: ContainerRuntime) {}

  stat(record: ContainerRecord, target: ContainerPath): Promise<PathStat> {
    return this.run(record, target, {
      guest: (client) => client.statPath(guestLookupPath(target)),
      host: (root) => statOnHost(root, target),
    }, 'read');
  }

  /** The tar of `target` with entries named after `rebaseAs` ("" for export), given to `consume`. */
  read(record: ContainerRecord, target: ContainerPath, rebaseAs: string, consume: TarConsumer): Promise<void> {
    return this.run(record, target, {
      guest: async (client) => {
        const stat = await client.statPath(guestLookupPath(target));
        const transfer = downloadArchive(client, guestLookupPath(target), rebaseAs);
        try {
          await Promise.all([consume(stat, transfer.tar), transfer.done]);
        } catch (err) {
          transfer.abort();
          throw err;
        }
      },
      host: async (root) => {
        const stat = await statOnHost(root, target);
        const { tar, done } = await tarOnHost(root, target, rebaseAs);
        try {
          await Promise.all([consume(stat, tar), done]);
        } catch (err) {
          tar.destroy();
          // The file system is unmounted when this returns, so GNU tar must be gone first.
          await done.catch(() => undefined);
          throw err;
        }
      },
    }, 'read');
  }

  /** Extracts `tar` into the directory `target`. */
  write(record: ContainerRecord, target: ContainerPath, tar: Readable, noOverwriteDirNonDir: boolean): Promise<void> {
    return this.run(record, target, {
      guest: (client) => uploadArchive(client, guestLookupPath(target), tar, noOverwriteDirNonDir),
      host: (root) => extractOnHost(root, target, tar, { noOverwriteDirNonDir }),
    }, 'write');
  }

  private async run<T>(record: ContainerRecord, target: ContainerPath, ways: { guest(client: TetherClient): Promise<T>; host(root: string): Promise<T> }, access: FilesystemAccess): Promise<T> {
    // A paused container's tether is not frozen with its processes: it copies as for a running one.
    const running = this.runtime.runningContainer(record.id);
    try {
      return await (running ? ways.guest(running.vm.client) : orThrow(this.runtime.withStoppedFilesystem(record, (root) => ways.host(root), access)));
    } catch (err) {
      throw archiveApiError(err, record, target.path);
    }
  }
}
