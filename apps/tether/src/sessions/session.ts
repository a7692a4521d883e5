import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as pty from 'node-pty';
import type { ContainerCgroup } from '../container/container-cgroup';
import { StreamIndex, type ExitStatus, type SessionSpec, type SessionStatus, type StreamMux, type TtySize } from '@vic/protocol';
import { RequestError } from '../link/tether-link';
import type { Reaper } from '../reaper';
import { findExecutable } from './find-executable';
import { feedInput, pumpOutput } from './process-io';
import { resolveUser } from './resolve-user';
import { buildSessionEnv } from './session-env';
import { parseSignal, signalName } from './signals';

/** How long output may keep flowing after a process exited (e.g. from a child that inherited it). */
const OUTPUT_GRACE_MS = 1000;

/** "KEY=value" entries as the object child_process and node-pty take. */
function envObject(env: string[]): Record<string, string> {
  return Object.fromEntries(env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** What a session needs of the container it runs in. */
export interface SessionContainer {
  hostname: string;
  /** Where the session's process is born, so docker pause freezes it with the others. */
  cgroup: ContainerCgroup;
}

/** One process the host started in the container: the main process or an exec. */
export class Session extends EventEmitter<{ exited: [ExitStatus]; started: [number] }> {
  private child: ChildProcess | null = null;
  private terminal: pty.IPty | null = null;
  private state: SessionStatus;

  constructor(
    readonly spec: SessionSpec,
    private readonly mux: StreamMux,
    private readonly reaper: Reaper,
    private readonly container: SessionContainer,
  ) {
    super();
    this.state = { id: spec.id, channel: spec.channel, state: 'held' };
  }

  get status(): SessionStatus {
    return { ...this.state };
  }

  /** Checks everything that can fail before the process exists, so errors reach `start`'s reply. */
  launch(): void {
    const { spec } = this;
    const user = resolveUser('/', spec.user);
    if (!user.ok) throw new RequestError(user.error);
    const env = buildSessionEnv({ env: spec.env, home: user.value.home, hostname: this.container.hostname, tty: spec.tty !== undefined });
    const cwd = spec.cwd || '/';
    mkdirSync(cwd, { recursive: true }); // Docker creates a missing WorkingDir
    const path = env.find((e) => e.startsWith('PATH='))?.slice(5);
    const identity = { uid: user.value.uid, gid: user.value.gid };
    const executable = findExecutable('/', spec.argv[0] ?? '', path, cwd, identity);
    if (!executable.ok) throw new RequestError(executable.error);
    const tty = spec.tty;
    const pid = this.container.cgroup.spawnInside(() =>
      tty ? this.spawnTerminal(executable.value, env, cwd, identity, tty) : this.spawnPiped(executable.value, env, cwd, identity),
    );
    this.reaper.own(pid);
    this.state = { ...this.state, state: 'running', pid };
    this.emit('started', pid);
  }

  signal(name: string): void {
    const signal = parseSignal(name);
    if (signal === null) throw new RequestError({ code: 'EINVAL', message: `Invalid signal: ${name}` });
    if (this.state.state !== 'running' || this.state.pid === undefined) {
      throw new RequestError({ code: 'ENOTRUNNING', message: `session ${this.spec.id} is not running` });
    }
    process.kill(this.state.pid, signal);
  }

  resize(size: TtySize): void {
    if (!this.terminal) throw new RequestError({ code: 'ENOTTY', message: `session ${this.spec.id} has no tty` });
    this.terminal.resize(size.cols, size.rows);
  }

  private spawnPiped(file: string, env: string[], cwd: string, identity: { uid: number; gid: number }): number {
    const { spec, mux } = this;
    const child = spawnChild(file, spec.argv.slice(1), {
      argv0: spec.argv[0],
      cwd,
      env: envObject(env),
      ...identity,
      stdio: [spec.openStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: signals reach only what the host targets
    });
    this.child = child;
    if (child.pid === undefined) throw new RequestError({ code: 'ESPAWN', message: `cannot start ${file}` });
    const stdout = mux.openOutbound(spec.channel + StreamIndex.stdout);
    const stderr = mux.openOutbound(spec.channel + StreamIndex.stderr);
    if (spec.openStdin && child.stdin) {
      const stdin = child.stdin;
      const inbound = mux.openInbound(spec.channel + StreamIndex.stdin, feedInput(stdin, () => inbound));
    }
    const outputClosed = Promise.all([pumpOutput(mux, child.stdout!, stdout), pumpOutput(mux, child.stderr!, stderr)]);
    child.once('exit', (code, signal) => {
      const exit: ExitStatus = signal ? { signal } : { code: code ?? 0 };
      void this.finish(exit, outputClosed, () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        mux.end(stdout);
        mux.end(stderr);
      });
    });
    return child.pid;
  }

  private spawnTerminal(file: string, env: string[], cwd: string, identity: { uid: number; gid: number }, size: TtySize): number {
    const { spec, mux } = this;
    const terminal = pty.spawn(file, spec.argv.slice(1), {
      name: 'xterm',
      cols: size.cols,
      rows: size.rows,
      cwd,
      env: envObject(env),
      encoding: null,
      ...identity,
    });
    this.terminal = terminal;
    const out = mux.openOutbound(spec.channel + StreamIndex.stdout);
    out.on('drain', () => terminal.resume());
    terminal.onData((data) => {
      if (!mux.write(out, typeof data === 'string' ? Buffer.from(data) : data)) terminal.pause();
    });
    if (spec.openStdin) {
      const inbound = mux.openInbound(spec.channel + StreamIndex.stdin, {
        data: (chunk) => {
          terminal.write(chunk as unknown as string);
          inbound.consumed(chunk.length);
        },
        // A terminal has no half-close; the process sees its input end when the tty goes away.
        end: () => {},
      });
    }
    terminal.onExit(({ exitCode, signal }) => {
      const exit: ExitStatus = signal ? { signal: signalName(signal) } : { code: exitCode };
      void this.finish(exit, sleep(50), () => mux.end(out));
    });
    return terminal.pid;
  }

  private async finish(exit: ExitStatus, outputClosed: Promise<unknown>, endStreams: () => void): Promise<void> {
    if (this.state.pid !== undefined) this.reaper.disown(this.state.pid);
    await Promise.race([outputClosed, sleep(OUTPUT_GRACE_MS)]);
    endStreams();
    this.state = { ...this.state, state: 'exited', exit };
    this.emit('exited', exit);
  }
}
