import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { EventEmitter } from 'node:events';

export type OutputStream = 'stdout' | 'stderr';

/** One line (or the unterminated tail) a container printed, as `docker logs` shows it. */
export interface LogEntry {
  stream: OutputStream;
  /** RFC 3339 with nanoseconds, as dockerd prints with --timestamps. */
  time: string;
  bytes: Buffer;
}

/** A line on disk: `log` when the bytes are UTF-8, `b64` otherwise, so binary output survives. */
interface StoredEntry {
  stream: OutputStream;
  time: string;
  log?: string;
  b64?: string;
}

/** An unterminated line is written out once it is this long, as dockerd's log copier does. */
const MAX_PENDING_LINE = 16 * 1024;
const NEWLINE = 0x0a;

export function logTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/**
 * A container's output log (`logs/<id>.log`, one JSON entry per line, json-file style): what
 * `docker logs` reads, complete after the container exits and across endpoint restarts. Writes
 * are synchronous, so a follower that reads the file and subscribes in the same tick misses
 * nothing and sees nothing twice.
 */
export class ContainerLogWriter {
  private readonly fd: number;
  private readonly pending: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly live = new EventEmitter();
  private closed = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(stream: OutputStream, chunk: Buffer): void {
    let rest = chunk;
    for (let newline = rest.indexOf(NEWLINE); newline !== -1; newline = rest.indexOf(NEWLINE)) {
      this.flushLine(stream, Buffer.concat([...this.pending[stream], rest.subarray(0, newline + 1)]));
      this.pending[stream] = [];
      rest = rest.subarray(newline + 1);
    }
    if (rest.length > 0) this.pending[stream].push(Buffer.from(rest));
    if (this.pending[stream].reduce((size, part) => size + part.length, 0) >= MAX_PENDING_LINE) {
      this.flushLine(stream, Buffer.concat(this.pending[stream]));
      this.pending[stream] = [];
    }
  }

  /** Calls `listener` with every entry written from now on; returns the unsubscribe. */
  follow(listener: (entry: LogEntry) => void, onClose: () => void): () => void {
    if (this.closed) {
      onClose();
      return () => undefined;
    }
    this.live.on('entry', listener);
    this.live.once('close', onClose);
    return () => {
      this.live.off('entry', listener);
      this.live.off('close', onClose);
    };
  }

  /** Writes out unterminated lines and ends followers: the container's output is complete. */
  close(): void {
    if (this.closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream].length > 0) this.flushLine(stream, Buffer.concat(this.pending[stream]));
    }
    this.closed = true;
    closeSync(this.fd);
    this.live.emit('close');
    this.live.removeAllListeners();
  }

  private flushLine(stream: OutputStream, bytes: Buffer): void {
    const entry: LogEntry = { stream, time: logTime(), bytes };
    const text = bytes.toString('utf8');
    const stored: StoredEntry = Buffer.from(text, 'utf8').equals(bytes) ? { stream, time: entry.time, log: text } : { stream, time: entry.time, b64: bytes.toString('base64') };
    writeSync(this.fd, `${JSON.stringify(stored)}\n`);
    this.live.emit('entry', entry);
  }
}

export interface LogQuery {
  /** Only entries at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** Only entries before this time. */
  untilMs?: number;
  /** Only the last N entries (after since/until). */
  tail?: number;
}

/** Whether an entry passes a query's time bounds. */
export function inTimeRange(entry: LogEntry, query: LogQuery): boolean {
  const ms = Date.parse(entry.time);
  return (query.sinceMs === undefined || ms >= query.sinceMs) && (query.untilMs === undefined || ms < query.untilMs);
}

/** The entries of a log file that match `query`; an absent file is an empty log. */
export function readContainerLog(path: string, query: LogQuery): LogEntry[] {
  if (!existsSync(path)) return [];
  const entries: LogEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    const stored = JSON.parse(line) as StoredEntry;
    const entry: LogEntry = { stream: stored.stream, time: stored.time, bytes: stored.b64 !== undefined ? Buffer.from(stored.b64, 'base64') : Buffer.from(stored.log ?? '', 'utf8') };
    if (inTimeRange(entry, query)) entries.push(entry);
  }
  return query.tail === undefined ? entries : entries.slice(Math.max(0, entries.length - query.tail));
}
