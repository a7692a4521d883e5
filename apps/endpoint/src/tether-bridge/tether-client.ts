import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  decodeControl,
  decodeReject,
  decodeWelcome,
  encode,
  FrameDecoder,
  FrameType,
  PROTOCOL_VERSION,
  ProtocolError,
  StreamMux,
  type ContainerConfig,
  type ControlMessage,
  type GuestEvent,
  type PathStat,
  type ProcessInfo,
  type RemoteError,
  type ReplyValues,
  type Request,
  type RequestOp,
  type SessionSpec,
  type SessionStatus,
  type Stats,
  type Welcome,
} from '@vic/protocol';
import type { ChannelDialer } from './channel-dialer';
import { SessionHandle, type SessionStreams } from './session-handle';

/** A request the tether refused, with its reason. */
export class TetherError extends Error {
  constructor(readonly remote: RemoteError) {
    super(remote.message);
    this.name = 'TetherError';
  }
}

export interface TetherClientOptions {
  /** How to reach the VM's tether channel. */
  channel: ChannelDialer;
  containerId: string;
  token: string;
  /** How long to wait for the tether to answer, boot included. */
  connectTimeoutMs?: number;
  /**
   * For a client that takes over a running VM (the endpoint restarted): how to carry each session
   * the tether already runs, or null to leave it alone. Asked once per session, during the handshake.
   */
  adoptSession?: (status: SessionStatus) => Omit<SessionStreams, 'id' | 'channel'> | null;
}

// QEMU holds bytes until the guest opens its port, so one Hello normally suffices; the repeat is a safety net.
const HELLO_INTERVAL_MS = 2000;
const REQUEST_TIMEOUT_MS = 60_000;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The host end of one container VM's tether channel. It owns the socket, the handshake and the
 * session streams; after `disconnect`, `reconnect` resumes every stream where the tether left it.
 */
export class TetherClient extends EventEmitter<{ event: [GuestEvent]; disconnected: [] }> {
  readonly mux = new StreamMux();
  private socket: Socket | null = null;
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, Pending>();
  private readonly sessions = new Map<string, SessionHandle>();
  private nextRequestId = 1;
  private nextChannel = 4;
  welcome: Welcome | null = null;

  private constructor(private readonly options: TetherClientOptions) {
    super();
  }

  static async connect(options: TetherClientOptions): Promise<TetherClient> {
    const client = new TetherClient(options);
    await client.reconnect();
    return client;
  }

  get connected(): boolean {
    return this.socket !== null && this.welcome !== null;
  }

  /** (Re)opens the socket and repeats Hello until the tether welcomes us. */
  async reconnect(timeoutMs = this.options.connectTimeoutMs ?? 60_000): Promise<Welcome> {
    if (this.socket) throw new Error('already connected');
    const deadline = Date.now() + timeoutMs;
    const socket = await this.options.channel.dial(deadline);
    this.socket = socket;
    this.welcome = null;
    this.decoder.reset();
    const welcomed = new Promise<Welcome>((resolve, reject) => {
      socket.on('data', (bytes) => {
        try {
          this.onBytes(bytes, resolve, reject);
        } catch (err) {
          reject(err as Error);
        }
      });
      socket.once('close', () => reject(new Error(`tether channel ${this.options.channel.description} closed during handshake`)));
    });
    socket.on('close', () => this.onClose(socket));
    socket.on('error', () => {}); // 'close' follows and carries the consequence
    const hello = () =>
      socket.write(encode.hello({ version: PROTOCOL_VERSION, containerId: this.options.containerId, token: this.options.token, received: this.mux.receivedOffsets() }));
    hello();
    const repeat = setInterval(hello, HELLO_INTERVAL_MS);
    try {
      return await Promise.race([
        welcomed,
        sleep(Math.max(0, deadline - Date.now()), undefined, { ref: false }).then(() => {
          throw new Error(`tether of container ${this.options.containerId} did not answer within ${timeoutMs} ms`);
        }),
      ]);
    } catch (err) {
      this.disconnect();
      throw err;
    } finally {
      clearInterval(repeat);
    }
  }

  /** Drops the connection; the tether keeps running and buffering. */
  disconnect(): void {
    this.socket?.destroy();
  }

  /**
   * Hands the tether over to a successor (the endpoint restarts): acknowledges all output consumed
   * so far, so the tether resends the successor only what this client never used, then closes.
   */
  handOver(): void {
    this.mux.flushAcks();
    // Bytes arriving from here on are the successor's: the tether resends them, as they were never acknowledged.
    this.socket?.removeAllListeners('data');
    this.socket?.end();
  }

  async request<Op extends RequestOp>(request: Extract<Request, { op: Op }>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<ReplyValues[Op]> {
    if (!this.connected) throw new Error(`not connected to the tether of container ${this.options.containerId}`);
    const id = this.nextRequestId++;
    return new Promise<ReplyValues[Op]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`tether did not answer ${request.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.mux.send(encode.control({ kind: 'request', id, request }));
    });
  }

  configure(config: ContainerConfig): Promise<null> {
    return this.request({ op: 'configure', config });
  }

  /** A block of stream channels no session or transfer uses (a session needs three). */
  reserveChannels(): number {
    const first = this.nextChannel;
    this.nextChannel += 4;
    return first;
  }

  /** Opens the session's streams first, so no byte the process writes is dropped, then starts it. */
  async startSession(spec: Omit<SessionSpec, 'channel'>): Promise<SessionHandle> {
    const channel = this.reserveChannels();
    const handle = new SessionHandle(this, this.mux, { id: spec.id, channel, tty: spec.tty !== undefined, openStdin: spec.openStdin });
    this.sessions.set(spec.id, handle);
    try {
      handle.update(await this.request({ op: 'start', spec: { ...spec, channel } }));
    } catch (err) {
      this.sessions.delete(spec.id);
      this.mux.closeSessionChannels(channel);
      throw err;
    }
    return handle;
  }

  stats(): Promise<Stats> {
    return this.request({ op: 'stats' });
  }

  /** The container's processes, for `docker top`. */
  processes(): Promise<ProcessInfo[]> {
    return this.request({ op: 'processes' });
  }

  statPath(path: string): Promise<PathStat> {
    return this.request({ op: 'statPath', path });
  }

  /** Freezes the container's processes (the guest's cgroup2 freezer, docker pause); the tether keeps serving. */
  async pause(): Promise<void> {
    await this.request({ op: 'pause' });
  }

  async unpause(): Promise<void> {
    await this.request({ op: 'unpause' });
  }

  ping(): Promise<{ time: number }> {
    return this.request({ op: 'ping' });
  }

  powerOff(): Promise<null> {
    return this.request({ op: 'powerOff' });
  }

  private onBytes(bytes: Buffer, welcomed: (w: Welcome) => void, rejected: (e: Error) => void): void {
    for (const frame of this.decoder.push(bytes)) {
      if (frame.type === FrameType.Welcome) {
        this.onWelcome(decodeWelcome(frame));
        welcomed(this.welcome!);
      } else if (frame.type === FrameType.Reject) {
        rejected(new Error(`tether refused the connection: ${decodeReject(frame).reason}`));
      } else if (!this.welcome) {
        continue; // leftovers from before the handshake: the tether resends what matters
      } else if (frame.type === FrameType.Control) {
        this.onControl(decodeControl(frame));
      } else if (!this.mux.handleFrame(frame)) {
        throw new ProtocolError(`unexpected ${FrameType[frame.type]} frame from the tether`);
      }
    }
  }

  /** A session this client took over from a previous endpoint, by its id. */
  adoptedSession(id: string): SessionHandle | undefined {
    return this.sessions.get(id);
  }

  private onWelcome(welcome: Welcome): void {
    this.welcome = welcome;
    const socket = this.socket!;
    // Before resume: the tether resends these sessions' output right after its Welcome.
    for (const status of welcome.sessions) if (!this.sessions.has(status.id)) this.adopt(status);
    this.mux.resume((parts) => {
      socket.cork();
      for (const part of parts) socket.write(part);
      socket.uncork();
    }, welcome.received);
    for (const status of welcome.sessions) {
      this.sessions.get(status.id)?.update(status);
      this.nextChannel = Math.max(this.nextChannel, status.channel + 4);
    }
  }

  private adopt(status: SessionStatus): void {
    const shape = this.options.adoptSession?.(status);
    if (!shape) return;
    const handle = new SessionHandle(this, this.mux, { id: status.id, channel: status.channel, ...shape }, true);
    handle.update(status);
    this.sessions.set(status.id, handle);
  }

  private onControl(message: ControlMessage): void {
    if (message.kind === 'reply') {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(new TetherError(message.error));
    } else if (message.kind === 'event') {
      const event = message.body;
      const handle = this.sessions.get(event.id);
      if (handle && event.event === 'exited') handle.update({ ...handle.status, state: 'exited', exit: event.exit });
      if (handle && event.event === 'started') handle.update({ ...handle.status, state: 'running', pid: event.pid });
      this.emit('event', event);
    }
  }

  private onClose(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.welcome = null;
    this.mux.disconnect();
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error('connection to the tether was lost'));
      this.pending.delete(id);
    }
    this.emit('disconnected');
  }
}
