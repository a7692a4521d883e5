import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const READ_BYTES = 128 * 1024;
/** How often to look again for the host while nobody is connected. */
const IDLE_POLL_MS = 50;
/** Writes are batched up to this size and part count (writev takes at most IOV_MAX = 1024). */
const WRITE_BATCH_BYTES = 256 * 1024;
const WRITE_BATCH_PARTS = 512;

/**
 * The tether's byte stream to the host over a virtio-serial port (or a serial tty).
 *
 * Node cannot poll a character device, so reads and writes run on libuv's thread pool. A read
 * that returns 0 bytes means the host side is not connected (virtio_console's semantics): the
 * channel reports 'down' and polls until bytes flow again. Writes block in the kernel while the
 * host is away; whatever they carried is resent after the next handshake, so nothing here needs
 * to be reliable.
 */
export class PortChannel extends EventEmitter<{ data: [Buffer]; down: []; error: [Error] }> {
  private queue: Buffer[] = [];
  private writing = false;
  private closed = false;
  private up = false;

  private constructor(private readonly handle: fs.FileHandle) {
    super();
  }

  static async open(path: string): Promise<PortChannel> {
    const channel = new PortChannel(await fs.open(path, 'r+'));
    void channel.readLoop();
    return channel;
  }

  /** Queues one frame's parts; consecutive parts are written with one writev, never copied. */
  write(parts: Buffer[]): void {
    if (this.closed) return;
    this.queue.push(...parts);
    if (!this.writing) void this.writeLoop();
  }

  /** Resolves once everything queued so far has been written, or after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.writing || this.queue.length > 0) && Date.now() < deadline) await sleep(10);
  }

  /** Drops queued writes: after the host went away they would only be resent anyway. */
  discardQueued(): void {
    this.queue = [];
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.handle.close();
  }

  private async readLoop(): Promise<void> {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    while (!this.closed) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(buffer, 0, READ_BYTES, null));
      } catch (err) {
        if (this.closed) return;
        this.emit('error', err as Error);
        await sleep(IDLE_POLL_MS);
        continue;
      }
      if (bytesRead === 0) {
        if (this.up) {
          this.up = false;
          this.emit('down');
        }
        await sleep(IDLE_POLL_MS);
        continue;
      }
      this.up = true;
      this.emit('data', Buffer.from(buffer.subarray(0, bytesRead)));
    }
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        let batch = this.takeBatch();
        while (batch.length > 0 && !this.closed) {
          const { bytesWritten } = await this.handle.writev(batch);
          batch = dropWritten(batch, bytesWritten);
        }
      }
    } catch (err) {
      if (!this.closed) this.emit('error', err as Error);
    } finally {
      this.writing = false;
    }
  }

  private takeBatch(): Buffer[] {
    let size = 0;
    let count = 0;
    while (count < this.queue.length && count < WRITE_BATCH_PARTS && (count === 0 || size + this.queue[count]!.length <= WRITE_BATCH_BYTES)) {
      size += this.queue[count]!.length;
      count++;
    }
    return this.queue.splice(0, count);
  }
}

/** What is left of `parts` after a short write of `written` bytes. */
function dropWritten(parts: Buffer[], written: number): Buffer[] {
  let rest = written;
  let index = 0;
  while (index < parts.length && rest >= parts[index]!.length) rest -= parts[index++]!.length;
  const left = parts.slice(index);
  if (left.length > 0 && rest > 0) left[0] = left[0]!.subarray(rest);
  return left;
}
