/**
 * Plays PID 1 on the host: becomes a child subreaper so orphans are re-parented to it, runs the
 * Reaper, and spawns owned children through child_process and node-pty alongside 50 orphans.
 * Prints one JSON line with what it observed, then exits.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as pty from 'node-pty';
import { Reaper } from '../../src/reaper';
import { isPidEntry, isVanishedProcess, parsePidStat } from '../../src/stats/parse-pid-stat';
import { native } from '../../src/sys/native';

const ORPHANS = 50;
const DEADLINE_MS = 15_000;

function zombieChildren(): number[] {
  return readdirSync('/proc')
    .filter(isPidEntry)
    .flatMap((entry) => {
      try {
        const stat = parsePidStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
        return stat?.state === 'Z' && stat.ppid === process.pid ? [stat.pid] : [];
      } catch (err) {
        if (isVanishedProcess(err)) return [];
        throw err;
      }
    });
}

function exitOf(command: string, reaper: Reaper): Promise<{ code: number | null; signal: string | null }> {
  const child = spawn('sh', ['-c', command], { stdio: 'ignore' });
  reaper.own(child.pid!);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      reaper.disown(child.pid!);
      resolve({ code, signal });
    }),
  );
}

function ptyExitOf(command: string, reaper: Reaper): Promise<{ exitCode: number; signal?: number }> {
  const terminal = pty.spawn('sh', ['-c', command], { cols: 80, rows: 24 });
  reaper.own(terminal.pid);
  return new Promise((resolve) =>
    terminal.onExit((exit) => {
      reaper.disown(terminal.pid);
      resolve(exit);
    }),
  );
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The narrow race: a scan that runs after an owned child died but before libuv handled its
 * SIGCHLD sees the zombie. The event loop is blocked until the child is a zombie, then scanned.
 */
function exitAfterRacingScan(reaper: Reaper): Promise<{ code: number | null; signal: string | null }> {
  const child = spawn('sh', ['-c', 'exit 9'], { stdio: 'ignore' });
  reaper.own(child.pid!);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 5000;
  while (!zombieChildren().includes(child.pid!) && Date.now() < deadline) sleepSync(5);
  reaper.scan();
  return exited;
}

async function main(): Promise<void> {
  native.setChildSubreaper();
  const reaper = new Reaper();
  const raced = await exitAfterRacingScan(reaper);
  reaper.start();
  const [piped, killed, terminal, orphanMaker] = await Promise.all([
    exitOf('sleep 0.3; exit 42', reaper),
    exitOf('sleep 0.2; kill -TERM $$', reaper),
    ptyExitOf('sleep 0.3; exit 7', reaper),
    exitOf(`for i in $(seq ${ORPHANS}); do (sleep 0.1 &) ; done`, reaper),
  ]);
  const deadline = Date.now() + DEADLINE_MS;
  while (reaper.reaped < ORPHANS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  // Let stragglers (there should be none) become zombies before counting what is left.
  await new Promise((r) => setTimeout(r, 300));
  reaper.stop();
  const result = { reaped: reaper.reaped, zombiesLeft: zombieChildren().length, raced, piped, killed, terminal, orphanMaker };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

void main();
