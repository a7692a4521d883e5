import {
  decodeControl,
  decodeHello,
  encode,
  FrameDecoder,
  FrameType,
  PROTOCOL_VERSION,
  ProtocolError,
  StreamMux,
  type GuestEvent,
  type RemoteError,
  type Request,
  type SessionStatus,
} from '@vic/protocol';
import type { PortChannel } from '../channel/port-channel';
import { log } from '../log';

export interface Identity {
  containerId: string;
  token: string;
}

/** What the link needs from the rest of the tether. */
export interface RequestHandler {
  handle(request: Request): Promise<unknown>;
  sessions(): SessionStatus[];
  configured(): boolean;
}

/** A request failed in a way the host should show its user. */
export class RequestError extends Error {
  constructor(readonly remote: RemoteError) {
    super(remote.message);
  }
}

/**
 * The guest end of the protocol: waits for a valid Hello, answers Welcome, then serves
 * requests and carries the session streams. Every Hello starts a new connection: streams rewind
 * to what the host says it has, so a reconnect loses nothing.
 */
export class TetherLink {
  readonly mux = new StreamMux();
  private readonly decoder = new FrameDecoder();
  private handler: RequestHandler | null = null;

  constructor(
    private readonly channel: PortChannel,
    private readonly identity: Identity,
  ) {
    channel.on('data', (bytes) => this.onBytes(bytes));
    channel.on('down', () => this.onDown());
    channel.on('error', (err) => log(`channel error: ${err.message}`));
  }

  serve(handler: RequestHandler): void {
    this.handler = handler;
  }

  get connected(): boolean {
    return this.mux.connected;
  }

  /** Waits (bounded) until replies already sent have left the guest, e.g. before powering off. */
  flush(timeoutMs = 2000): Promise<void> {
    return this.channel.drained(timeoutMs);
  }

  emitEvent(body: GuestEvent): void {
    this.mux.send(encode.control({ kind: 'event', body }));
  }

  private onDown(): void {
    log('host disconnected');
    this.mux.disconnect();
    this.channel.discardQueued();
    this.decoder.reset();
  }

  private onBytes(bytes: Buffer): void {
    for (const frame of this.decoder.push(bytes)) {
      try {
        if (frame.type === FrameType.Hello) this.onHello(decodeHello(frame));
        else if (!this.mux.connected) continue;
        else if (frame.type === FrameType.Control) this.onControl(decodeControl(frame));
        else this.mux.handleFrame(frame);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        log(`dropped a frame: ${err.message}`);
      }
    }
  }

  private onHello(hello: ReturnType<typeof decodeHello>): void {
    const send = (parts: Buffer[]) => this.channel.write(parts);
    const reason =
      hello.version !== PROTOCOL_VERSION
        ? `protocol version ${hello.version} is not supported (tether speaks ${PROTOCOL_VERSION})`
        : hello.containerId !== this.identity.containerId
          ? `this is container ${this.identity.containerId}, not ${hello.containerId}`
          : hello.token !== this.identity.token
            ? 'wrong channel token'
            : null;
    if (reason || !this.handler) {
      send([encode.reject({ reason: reason ?? 'tether is not ready' })]);
      log(`refused a host: ${reason ?? 'not ready'}`);
      return;
    }
    send([
      encode.welcome({
        version: PROTOCOL_VERSION,
        containerId: this.identity.containerId,
        received: this.mux.receivedOffsets(),
        configured: this.handler.configured(),
        sessions: this.handler.sessions(),
      }),
    ]);
    this.mux.resume(send, hello.received);
    log('host connected');
  }

  private onControl(message: ReturnType<typeof decodeControl>): void {
    if (message.kind !== 'request' || !this.handler) return;
    const { id, request } = message;
    this.handler.handle(request).then(
      (value) => this.mux.send(encode.control({ kind: 'reply', id, ok: true, value: value ?? null })),
      (err: unknown) => {
        const error: RemoteError = err instanceof RequestError ? err.remote : { code: 'EINTERNAL', message: (err as Error).message };
        if (!(err instanceof RequestError)) log(`${request.op} failed: ${(err as Error).stack}`);
        this.mux.send(encode.control({ kind: 'reply', id, ok: false, error }));
      },
    );
  }
}
