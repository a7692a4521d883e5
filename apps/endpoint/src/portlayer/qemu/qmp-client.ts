import { connect, type Socket } from 'node:net';

/** A QMP event as QEMU sends it. */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** A QMP message larger than this means something is wrong; the connection is dropped. */
const MAX_MESSAGE_BYTES = 1 << 20;

/**
 * One QMP connection (QEMU's JSON control protocol): a greeting, capability negotiation, then
 * commands answered in order and events in between. Owns its socket; close() is idempotent.
 */
export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closedError: Error | null = null;
  private greetingWaiter: Pending | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly onEvent: (event: QmpEvent) => void,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new Error(`QMP socket: ${err.message}`)));
    socket.on('close', () => this.fail(new Error('QMP connection closed')));
  }

  /** Connects, reads the greeting and enters command mode, all within `timeoutMs`. */
  static async connect(path: string, onEvent: (event: QmpEvent) => void, timeoutMs: number): Promise<QmpClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`QMP ${path}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        s.destroy();
        reject(err);
      });
    });
    const client = new QmpClient(socket, onEvent);
    try {
      await client.greeting(timeoutMs);
      await client.execute('qmp_capabilities', undefined, timeoutMs);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** Sends one command and resolves with its `return` value; rejects on `error` or timeout. */
  execute(command: string, args?: Record<string, unknown>, timeoutMs = 5_000): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`QMP ${command}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\r\n`);
    });
  }

  close(): void {
    this.fail(new Error('QMP connection closed'));
    this.socket.destroy();
  }

  private greeting(timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`QMP: no greeting within ${timeoutMs} ms`)), timeoutMs);
      this.greetingWaiter = { resolve, reject, timer };
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length > MAX_MESSAGE_BYTES) {
      this.fail(new Error(`QMP message over ${MAX_MESSAGE_BYTES} bytes`));
      this.socket.destroy();
      return;
    }
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (!line) continue;
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch (err) {
        this.fail(new Error(`QMP sent something that is not JSON (${(err as Error).message}): ${line.slice(0, 200)}`));
        this.socket.destroy();
        return;
      }
      this.onMessage(message);
    }
  }

  private onMessage(message: Record<string, unknown>): void {
    if ('QMP' in message) {
      this.settle(this.greetingWaiter, message);
      this.greetingWaiter = null;
    } else if ('event' in message) {
      this.onEvent(message as unknown as QmpEvent);
    } else if (typeof message.id === 'string') {
      const waiter = this.pending.get(message.id) ?? null;
      this.pending.delete(message.id);
      const error = message.error as { class?: string; desc?: string } | undefined;
      if (error) this.settle(waiter, new Error(`QMP: ${error.class ?? 'Error'}: ${error.desc ?? 'unknown error'}`));
      else this.settle(waiter, message.return);
    }
  }

  private settle(waiter: Pending | null, outcome: unknown): void {
    if (!waiter) return;
    clearTimeout(waiter.timer);
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    this.settle(this.greetingWaiter, err);
    this.greetingWaiter = null;
    for (const waiter of this.pending.values()) this.settle(waiter, err);
    this.pending.clear();
  }
}
