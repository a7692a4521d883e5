import type { Readable, Writable } from 'node:stream';
import { StreamIndex, type ExitStatus, type SessionStatus, type StreamMux, type TtySize } from '@vic/protocol';
import { inboundReadable, outboundWritable } from './stream-adapters';
import type { TetherClient } from './tether-client';

/** What the host needs to know of a session to carry its streams. */
export interface SessionStreams {
  id: string;
  /** First of the session's three stream channels (stdin, stdout, stderr). */
  channel: number;
  /** A terminal has one output stream. */
  tty: boolean;
  openStdin: boolean;
}

/** The host's view of one process in the container VM: its streams, controls and exit. */
export class SessionHandle {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Present when the session was started with open stdin; ending it closes the process's stdin. */
  readonly stdin: Writable | null;
  readonly exit: Promise<ExitStatus>;
  /** Every output byte has arrived (whether or not anyone read it). */
  private readonly outputEnded: Promise<unknown>;
  private resolveExit!: (exit: ExitStatus) => void;
  private exitStatus: ExitStatus | null = null;
  status: SessionStatus;

  constructor(
    private readonly client: TetherClient,
    mux: StreamMux,
    readonly streams: SessionStreams,
    /** The session began under a previous endpoint: its streams are joined where the tether resends from. */
    joinMidway = false,
  ) {
    this.status = { id: streams.id, channel: streams.channel, state: 'held' };
    this.exit = new Promise((resolve) => (this.resolveExit = resolve));
    const out = inboundReadable(mux, streams.channel + StreamIndex.stdout, joinMidway);
    const err = inboundReadable(mux, streams.channel + StreamIndex.stderr, joinMidway);
    this.stdout = out.readable;
    this.stderr = err.readable;
    // A terminal has one output stream.
    this.outputEnded = streams.tty ? out.ended : Promise.all([out.ended, err.ended]);
    if (streams.tty) err.readable.push(null);
    this.stdin = streams.openStdin ? outboundWritable(mux, streams.channel + StreamIndex.stdin) : null;
  }

  /** Called by the client when the tether reports this session's state. */
  update(status: SessionStatus): void {
    this.status = status;
    if (status.exit && !this.exitStatus) {
      this.exitStatus = status.exit;
      this.resolveExit(status.exit);
    }
  }

  /** Starts a session created with holdUntilAttached. */
  async attach(): Promise<void> {
    this.update(await this.client.request({ op: 'attach', id: this.streams.id }));
  }

  async resize(size: TtySize): Promise<void> {
    await this.client.request({ op: 'resize', id: this.streams.id, size });
  }

  async signal(signal: string): Promise<void> {
    await this.client.request({ op: 'signal', id: this.streams.id, signal });
  }

  /** Tells the tether the host has all of an exited session; for the main session this ends the VM. */
  async release(): Promise<void> {
    await this.client.request({ op: 'release', id: this.streams.id });
  }

  /** Exit status once the process exited and all of its output has arrived. */
  async finished(): Promise<ExitStatus> {
    await this.outputEnded;
    return this.exit;
  }
}
