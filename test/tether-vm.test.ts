/**
 * The tether as PID 1 in a real container VM (QEMU, our bootstrap ISO, the busybox test root),
 * driven over the real virtio-serial channel by the host-side TetherClient.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCode } from '@vic/protocol';
import { TetherError } from '../apps/endpoint/src/tether-bridge/tether-client';
import { bootBusyboxContainer, readAll, readUntil, sha256Of } from './support/container-vm';

type Booted = Awaited<ReturnType<typeof bootBusyboxContainer>>;

const session = (id: string, argv: string[], extra: Partial<Parameters<Booted['client']['startSession']>[0]> = {}) => ({
  id,
  argv,
  env: [],
  openStdin: false,
  holdUntilAttached: false,
  ...extra,
});

describe('a main process in a container VM', () => {
  it('prints to stdout and exits with its code, then the VM powers off after release', async () => {
    const container = await bootBusyboxContainer('echo-exit');
    try {
      const main = await container.client.startSession(session('main', ['sh', '-c', 'echo hello from $(hostname); echo oops >&2; exit 3']));
      const [stdout, stderr] = await Promise.all([readAll(main.stdout), readAll(main.stderr)]);
      expect(stdout).toBe('hello from echo-exit\n');
      expect(stderr).toBe('oops\n');
      expect(await main.finished()).toEqual({ code: 3 });
      await main.release();
      const exit = await container.vm.waitForExit(30_000);
      expect(exit).toBeDefined();
    } finally {
      await container.cleanup();
    }
  });
});

describe('boot reliability', () => {
  it('boots 30 container VMs in a row, each bounded by a timeout, each running a command', async () => {
    const bootSeconds: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = Date.now();
      const container = await bootBusyboxContainer(`boot-${i}`); // rejects after its 60 s boot timeout
      try {
        const main = await container.client.startSession(session('main', ['echo', `boot ${i}`]));
        expect(await readAll(main.stdout)).toBe(`boot ${i}\n`);
        bootSeconds.push((Date.now() - started) / 1000);
      } finally {
        await container.cleanup();
      }
    }
    expect(bootSeconds).toHaveLength(30);
    console.log(`30 container boots to first output: min ${Math.min(...bootSeconds)} s, max ${Math.max(...bootSeconds)} s`);
  }, 1_800_000);
});

describe('sessions in one running container VM', () => {
  let container: Booted;
  let main: Awaited<ReturnType<Booted['client']['startSession']>>;

  beforeAll(async () => {
    container = await bootBusyboxContainer('sessions');
    main = await container.client.startSession(session('main', ['sh', '-c', 'echo main-up; exec sleep 100000']));
    await readUntil(main.stdout, /main-up/);
  });
  afterAll(async () => {
    if (process.env.VIC_TEST_CONSOLE) console.log((await container?.vm.readConsole())?.slice(-4000));
    await container?.cleanup();
  });

  const exec = (id: string, argv: string[], extra = {}) => container.client.startSession(session(id, argv, extra));

  it('runs an exec session while the main process runs', async () => {
    const e = await exec('exec-1', ['sh', '-c', 'echo exec-ok; cat /etc/hostname; grep sessions /etc/hosts']);
    expect(await readAll(e.stdout)).toBe('exec-ok\nsessions\n127.0.1.1\tsessions\n');
    expect(await e.finished()).toEqual({ code: 0 });
    expect(main.status.state).toBe('running');
  });

  it('holds a session until the host attaches, so no output is missed', async () => {
    const e = await exec('held', ['sh', '-c', 'echo started-at-attach'], { holdUntilAttached: true });
    expect(e.status.state).toBe('held');
    expect(e.status.pid).toBeUndefined();
    await e.attach();
    expect(e.status.state).not.toBe('held');
    expect(await readAll(e.stdout)).toBe('started-at-attach\n');
    expect(await e.finished()).toEqual({ code: 0 });
  });

  it('pipes stdin to cat and closes it on end', async () => {
    const e = await exec('cat', ['cat'], { openStdin: true });
    const text = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n');
    e.stdin!.end(text);
    expect(await readAll(e.stdout)).toBe(text);
    expect(await e.finished()).toEqual({ code: 0 });
  });

  it('gives a tty whose size follows resize', async () => {
    const e = await exec('tty', ['sh'], { openStdin: true, tty: { cols: 80, rows: 24 } });
    e.stdin!.write('stty size\n');
    await readUntil(e.stdout, /24 80/);
    await e.resize({ cols: 100, rows: 40 });
    e.stdin!.write('stty size; tty\n');
    const out = await readUntil(e.stdout, /40 100[\s\S]*\/dev\/pts\/\d+/);
    expect(out).toMatch(/40 100/);
    e.stdin!.write('exit 5\n');
    expect(await e.finished()).toEqual({ code: 5 });
  });

  it('runs as the image user with its HOME, env and workdir', async () => {
    const e = await exec('user', ['sh', '-c', 'id -u; id -g; echo $HOME; echo $GREETING; pwd'], {
      user: 'vic',
      env: ['GREETING=hi there'],
      cwd: '/home/vic/work',
    });
    expect(await readAll(e.stdout)).toBe('1000\n1000\n/home/vic\nhi there\n/home/vic/work\n');
  });

  it('refuses a missing executable with Docker wording', async () => {
    await expect(exec('missing', ['no-such-command'])).rejects.toThrow('exec: "no-such-command": executable file not found in $PATH');
    await expect(exec('missing-path', ['/bin/nope'])).rejects.toBeInstanceOf(TetherError);
  });

  it('delivers SIGTERM to a shell trap', async () => {
    const e = await exec('trap', ['sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while true; do sleep 0.1; done']);
    await readUntil(e.stdout, /ready/);
    await e.signal('SIGTERM');
    expect(await readAll(e.stdout)).toContain('got-term');
    expect(await e.finished()).toEqual({ code: 42 });
  });

  it('reports SIGKILL as exit code 137', async () => {
    const e = await exec('kill', ['sh', '-c', 'echo ready; exec sleep 1000']);
    await readUntil(e.stdout, /ready/);
    await e.signal('KILL');
    const exit = await e.finished();
    expect(exit).toEqual({ signal: 'SIGKILL' });
    expect(exitCode(exit)).toBe(137);
  });

  it('reaps 50 orphaned zombies re-parented to PID 1', async () => {
    // Each subshell exits at once, so its sleep is re-parented to PID 1; all exit within seconds.
    const script = `
      for i in $(seq 50); do (sleep 3 &); done
      echo orphans=$(grep -l '^PPid:[[:space:]]*1$' /proc/[0-9]*/status 2>/dev/null | xargs grep -l 'Name:.*sleep' | wc -l)
      sleep 6; echo zombies=$(grep -l 'State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l)`;
    const e = await exec('zombies', ['sh', '-c', script]);
    const out = await readAll(e.stdout);
    const orphans = Number(/orphans=(\d+)/.exec(out)?.[1]);
    expect(orphans).toBeGreaterThanOrEqual(40); // the test only means something if orphans existed
    expect(out).toContain('zombies=0');
  });

  it('reports stats whose CPU and memory move under load', async () => {
    const before = await container.client.stats();
    const load = await exec('load', ['sh', '-c', 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=48 2>/dev/null; echo filled; i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo done']);
    await readUntil(load.stdout, /filled/, 60_000);
    const during = await container.client.stats();
    expect(during.pids).toBeGreaterThan(before.pids); // the load's shell is one more task
    await readUntil(load.stdout, /done/, 60_000);
    const after = await container.client.stats();
    expect(after.cpu.totalUsageNs - before.cpu.totalUsageNs).toBeGreaterThan(500_000_000);
    expect(after.memory.usageBytes - before.memory.usageBytes).toBeGreaterThan(40 * 1024 * 1024);
    expect(after.memory.limitBytes).toBeGreaterThan(after.memory.usageBytes);
    expect(after.blockIo.length).toBeGreaterThan(0);
  });

  it('carries 64 MiB of stdout intact with host memory bounded', async () => {
    const e = await exec('bulk', ['sh', '-c', 'head -c 67108864 /dev/urandom > /tmp/bulk; sha256sum /tmp/bulk >&2; cat /tmp/bulk']);
    const expected = readAll(e.stderr);
    const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers)), 20);
    const got = await sha256Of(e.stdout);
    clearInterval(sampler);
    expect(got.bytes).toBe(64 * 1024 * 1024);
    expect((await expected).split(' ')[0]).toBe(got.digest);
    expect(peak - heapBefore).toBeLessThan(32 * 1024 * 1024);
  }, 300_000);

  it('keeps output written while the host is disconnected and delivers it on reconnect', async () => {
    const e = await exec('reconnect', ['sh', '-c', 'for i in $(seq 1 60); do echo line $i; sleep 0.05; done']);
    await readUntil(e.stdout, /line 5\n/);
    const rest = readAll(e.stdout);
    container.client.disconnect();
    await new Promise((r) => setTimeout(r, 2000));
    await container.client.reconnect(30_000);
    const lines = (await rest).split('\n').filter(Boolean);
    expect(lines.at(-1)).toBe('line 60');
    const numbers = lines.map((l) => Number(l.split(' ')[1]));
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => numbers[0]! + i));
    expect(await e.finished()).toEqual({ code: 0 });
  });
});
