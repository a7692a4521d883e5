import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How the host reaches one VM's tether channel: resolves with a connected byte stream, or rejects once `deadline` (ms since the epoch) passes. */
export interface ChannelDialer {
  /** For error messages, e.g. the socket path. */
  readonly description: string;
  dial(deadline: number): Promise<Socket>;
}

const RETRY_MS = 50;

/** The local backend's way: QEMU serves the virtio-serial port on a unix socket, which appears a moment after QEMU starts. */
export function unixSocketDialer(path: string): ChannelDialer {
  return {
    description: path,
    async dial(deadline) {
      for (;;) {
        try {
          return await new Promise<Socket>((resolve, reject) => {
            const socket = connect(path);
            socket.once('connect', () => resolve(socket));
            socket.once('error', reject);
          });
        } catch (err) {
          if (Date.now() > deadline) throw new Error(`cannot reach tether channel ${path}: ${(err as Error).message}`);
          await sleep(RETRY_MS);
        }
      }
    },
  };
}

/**
 * vSphere's way: the VM's network serial port dials out to the endpoint, so the endpoint listens,
 * one port per container VM, and the channel is the latest connection to it. A VM that reconnects
 * (after the endpoint or the link went away) replaces its previous connection.
 */
export class ChannelListener implements ChannelDialer {
  private latest: Socket | null = null;
  private readonly waiting = new Set<(socket: Socket) => void>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on('connection', (socket) => {
      this.latest?.destroy();
      this.latest = socket;
      socket.once('close', () => {
        if (this.latest === socket) this.latest = null;
      });
      for (const resolve of this.waiting) resolve(socket);
      this.waiting.clear();
    });
  }

  /** Listens on `host`:`port` (0 picks a free port). */
  static async listen(host: string, port: number): Promise<ChannelListener> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return new ChannelListener(server, (server.address() as { port: number }).port);
  }

  get description(): string {
    return `the serial channel listener on port ${this.port}`;
  }

  /** The VM's connection: the current one, or the next to come. */
  dial(deadline: number): Promise<Socket> {
    const current = this.latest;
    if (current && !current.destroyed) {
      this.latest = null; // handed over: a later dial waits for a new connection
      return Promise.resolve(current);
    }
    return new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(onConnection);
        reject(new Error(`no VM connected to ${this.description} in time`));
      }, Math.max(0, deadline - Date.now()));
      const onConnection = (socket: Socket) => {
        clearTimeout(timer);
        this.latest = null;
        resolve(socket);
      };
      this.waiting.add(onConnection);
    });
  }

  async close(): Promise<void> {
    this.latest?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
