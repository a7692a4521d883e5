import { EventEmitter } from 'node:events';

/** An Engine API event, as `GET /events` streams it. */
export interface DockerEvent {
  Type: 'container' | 'image' | 'volume' | 'network' | 'daemon';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  /** Deprecated fields the docker CLI still reads for containers and images. */
  status?: string;
  id?: string;
  from?: string;
}

/** How many past events are kept for `--since`: dockerd keeps 256. */
const HISTORY = 256;

/** The VCH's event stream: recent history for `since`, and live delivery to subscribers. */
export class EventLog {
  private readonly history: DockerEvent[] = [];
  private readonly live = new EventEmitter();

  constructor() {
    this.live.setMaxListeners(0);
  }

  emit(type: DockerEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const event: DockerEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
      ...(type === 'container' || type === 'image' ? { status: action, id, ...(attributes.image ? { from: attributes.image } : {}) } : {}),
    };
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.shift();
    this.live.emit('event', event);
  }

  /** Past events, oldest first. */
  past(): DockerEvent[] {
    return [...this.history];
  }

  subscribe(listener: (event: DockerEvent) => void): () => void {
    this.live.on('event', listener);
    return () => this.live.off('event', listener);
  }
}
