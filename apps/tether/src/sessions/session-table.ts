import type { ExitStatus, Request, SessionSpec, SessionStatus, StreamMux } from '@vic/protocol';
import { RequestError } from '../link/tether-link';
import type { Reaper } from '../reaper';
import { Session, type SessionContainer } from './session';

export interface SessionEvents {
  started(id: string, pid: number): void;
  exited(id: string, exit: ExitStatus): void;
}

/** The container's sessions by id, and the requests that act on one of them. */
export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private readonly waiters = new Map<string, ((exit: ExitStatus) => void)[]>();

  constructor(
    private readonly mux: StreamMux,
    private readonly reaper: Reaper,
    private readonly events: SessionEvents,
  ) {}

  statuses(): SessionStatus[] {
    return [...this.sessions.values()].map((s) => s.status);
  }

  start(spec: SessionSpec, container: SessionContainer): SessionStatus {
    if (this.sessions.has(spec.id)) throw new RequestError({ code: 'EEXIST', message: `session ${spec.id} already exists` });
    if (spec.argv.length === 0) throw new RequestError({ code: 'EINVAL', message: 'no command specified' });
    const session = new Session(spec, this.mux, this.reaper, container);
    session.on('started', (pid) => this.events.started(spec.id, pid));
    session.on('exited', (exit) => {
      this.events.exited(spec.id, exit);
      for (const resolve of this.waiters.get(spec.id) ?? []) resolve(exit);
      this.waiters.delete(spec.id);
    });
    if (!spec.holdUntilAttached) session.launch();
    this.sessions.set(spec.id, session);
    return session.status;
  }

  attach(id: string): SessionStatus {
    const session = this.get(id);
    if (session.status.state === 'held') session.launch();
    return session.status;
  }

  wait(id: string): Promise<ExitStatus> {
    const status = this.get(id).status;
    if (status.exit) return Promise.resolve(status.exit);
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  /** The host has everything of an exited session: forget it and its streams. */
  release(id: string): void {
    const session = this.get(id);
    if (session.status.state !== 'exited') throw new RequestError({ code: 'EBUSY', message: `session ${id} is still running` });
    this.mux.closeSessionChannels(session.spec.channel);
    this.sessions.delete(id);
  }

  dispatch(request: Extract<Request, { id: string }>): unknown {
    switch (request.op) {
      case 'attach':
        return this.attach(request.id);
      case 'wait':
        return this.wait(request.id);
      case 'resize':
        this.get(request.id).resize(request.size);
        return null;
      case 'signal':
        this.get(request.id).signal(request.signal);
        return null;
      case 'release':
        this.release(request.id);
        return null;
    }
  }

  private get(id: string): Session {
    const session = this.sessions.get(id);
    if (!session) throw new RequestError({ code: 'ENOSESSION', message: `no such exec instance: ${id}` });
    return session;
  }
}
