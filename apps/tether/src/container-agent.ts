import type { ContainerConfig, Request, SessionStatus, Stats } from '@vic/protocol';
import { ArchiveTransfers } from './archive/archive-transfers';
import { statPath } from './archive/path-stat';
import { ContainerCgroup } from './container/container-cgroup';
import { enterContainerRoot } from './container/mount-rootfs';
import { RequestError, type RequestHandler, type TetherLink } from './link/tether-link';
import { log } from './log';
import { configureHotplugged } from './network/configure-interfaces';
import { EmbeddedDns } from './network/embedded-dns';
import { rewriteHosts } from './network/rewrite-hosts';
import { powerOff } from './power';
import type { Reaper } from './reaper';
import { listProcesses } from './processes/list-processes';
import { SessionTable } from './sessions/session-table';
import { collectStats } from './stats/collect-stats';

/** The main process's session id: when it has exited and been released, the VM powers off. */
export const MAIN_SESSION = 'main';

/** Serves the host's requests: configures the container once, then runs its sessions. */
export class ContainerAgent implements RequestHandler {
  private config: ContainerConfig | null = null;
  private dns: EmbeddedDns | null = null;
  /** Made with the container's root; every session's process is born in it. */
  private cgroup: ContainerCgroup | null = null;
  private readonly table: SessionTable;
  private readonly transfers: ArchiveTransfers;

  constructor(
    private readonly link: TetherLink,
    reaper: Reaper,
  ) {
    this.table = new SessionTable(link.mux, reaper, {
      started: (id, pid) => link.emitEvent({ event: 'started', id, pid }),
      exited: (id, exit) => {
        log(`session ${id} exited ${JSON.stringify(exit)}`);
        link.emitEvent({ event: 'exited', id, exit });
      },
    });
    this.transfers = new ArchiveTransfers(link.mux);
  }

  configured(): boolean {
    return this.config !== null;
  }

  sessions(): SessionStatus[] {
    return this.table.statuses();
  }

  async handle(request: Request): Promise<unknown> {
    switch (request.op) {
      case 'configure':
        if (this.config) throw new RequestError({ code: 'EEXIST', message: 'container is already configured' });
        await enterContainerRoot(request.config);
        if (request.config.embeddedDns) this.dns = await EmbeddedDns.start(request.config.embeddedDns.upstream, request.config.extraHosts ?? []);
        this.cgroup = ContainerCgroup.create();
        this.config = request.config;
        return null;
      case 'pause':
        await this.requireCgroup().freeze();
        return null;
      case 'unpause':
        await this.requireCgroup().thaw();
        return null;
      case 'start':
        return this.table.start(request.spec, { hostname: this.requireConfig().hostname, cgroup: this.requireCgroup() });
      case 'release': {
        this.table.release(request.id);
        if (request.id === MAIN_SESSION) this.powerOffSoon('main process exited and its output was collected');
        return null;
      }
      case 'stats':
        return collectStats() satisfies Promise<Stats> | Stats;
      case 'processes':
        return listProcesses();
      case 'statPath':
        this.requireConfig();
        return statPath(request.path);
      case 'archiveOut':
        this.requireConfig();
        return this.transfers.send(request);
      case 'archiveIn':
        this.requireConfig();
        return this.transfers.receive(request);
      case 'abortTransfer':
        return this.transfers.abort(request.channel);
      case 'ping':
        return { time: Date.now() };
      case 'configureInterface':
        this.requireConfig();
        await configureHotplugged(request.config);
        return null;
      case 'setHosts':
        this.config = rewriteHosts(this.requireConfig(), request.extraHosts);
        this.dns?.setHosts(request.extraHosts);
        return null;
      case 'powerOff':
        this.powerOffSoon('the host asked');
        return null;
      default:
        return this.table.dispatch(request);
    }
  }

  /** Powers off once the reply that announced it has left the guest. */
  private powerOffSoon(reason: string): void {
    setImmediate(() => void this.link.flush().then(() => powerOff(reason)));
  }

  private requireCgroup(): ContainerCgroup {
    this.requireConfig();
    return this.cgroup!;
  }

  private requireConfig(): ContainerConfig {
    if (!this.config) throw new RequestError({ code: 'ENOTCONFIGURED', message: 'container is not configured yet' });
    return this.config;
  }
}
