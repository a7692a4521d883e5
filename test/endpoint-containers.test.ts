import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBusyboxVch, type BusyboxVch } from './support/busybox-vch';
import type { DockerCliOptions } from './support/docker-cli';

/* The container lifecycle with the real docker CLI: every container is a real VM. */

let vch: BusyboxVch;
const docker = (...args: string[]) => vch.docker(...args);
const dockerWith = (options: DockerCliOptions, ...args: string[]) => vch.dockerWith(options, ...args);
const ok = (...args: string[]) => vch.ok(...args);

async function waitForLog(name: string, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok('logs', name)).includes(text)) {
    if (Date.now() > deadline) throw new Error(`${name} did not print ${text} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function inspect(name: string, format: string): Promise<string> {
  return (await ok('inspect', '-f', format, name)).trim();
}

beforeAll(async () => {
  vch = await startBusyboxVch('endpoint-containers');
}, 1_200_000);

afterAll(async () => {
  await vch?.close();
});

describe('exit codes and streams', () => {
  it('passes exit codes 0, 1 and 2 on, and pipes stdin to the process', async () => {
    expect((await docker('run', '--rm', 'busybox', 'true')).code).toBe(0);
    expect((await docker('run', '--rm', 'busybox', 'false')).code).toBe(1);
    const piped = await dockerWith({ input: 'through stdin\nsecond line\n' }, 'run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; exit 2');
    expect(piped).toMatchObject({ code: 2, stdout: 'through stdin\nsecond line\n' });
  });

  it('honours create options: env, workdir, user, entrypoint, hostname, and memory and CPUs as the VM size', async () => {
    const ran = await docker('run', '--rm', '-e', 'A=b', '-w', '/tmp', '-u', 'vic', '-h', 'myhost', '-m', '512m', '--cpus', '2', '--entrypoint', 'sh', 'busybox',
      '-c', 'echo $A $(pwd) $(id -u) $(hostname) $(nproc) $(awk "/MemTotal/ {print int(\\$2 / 1024)}" /proc/meminfo)');
    expect(ran.code).toBe(0);
    const [env, cwd, uid, hostname, cpus, memoryMiB] = ran.stdout.trim().split(' ');
    expect([env, cwd, uid, hostname, cpus]).toEqual(['b', '/tmp', '1000', 'myhost', '2']);
    expect(Number(memoryMiB)).toBeGreaterThan(400); // the guest kernel keeps some of the 512 MiB for itself
    expect(Number(memoryMiB)).toBeLessThanOrEqual(512);
  });

  it('gives a VM too small to boot the smallest size that boots, and says so', async () => {
    const created = await docker('create', '-m', '64m', 'busybox', 'true');
    expect(created.stderr).toContain('WARNING: a container VM needs at least 384 MiB to boot; this container\'s VM gets 384 MiB instead of 64 MiB');
    expect((await docker('start', '-a', created.stdout.trim())).code).toBe(0);
    await ok('rm', created.stdout.trim());
  });

  it('gives the process a terminal with -t', async () => {
    const ran = await docker('run', '--rm', '-t', 'busybox', 'sh', '-c', 'tty; stty size');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^\/dev\/pts\/\d+\r\n\d+ \d+\r\n$/);
  });
});

describe('a running container', () => {
  beforeAll(async () => {
    await ok('run', '-d', '--name', 'sleeper', '--label', 'role=sleeper', 'busybox', 'sh', '-c', 'echo started; exec sleep 1000');
  }, 120_000);

  it('lists, inspects and filters it as dockerd would', async () => {
    expect(await inspect('sleeper', '{{.State.Status}} {{.State.Running}} {{.Name}} {{index .Config.Labels "role"}}')).toBe('running true /sleeper sleeper');
    expect((await ok('ps', '--format', '{{.Names}} {{.Status}}')).trim()).toMatch(/^sleeper Up \d+ seconds?$|^sleeper Up Less than a second$/);
    expect((await ok('ps', '-q', '--filter', 'label=role=sleeper', '--no-trunc')).trim()).toBe(await inspect('sleeper', '{{.Id}}'));
    expect((await ok('ps', '-q', '--filter', 'label=role=other')).trim()).toBe('');
    expect((await ok('ps', '--filter', 'ancestor=busybox', '--format', '{{.Names}}')).trim()).toBe('sleeper');
    expect((await ok('ps', '--filter', 'status=exited', '--format', '{{.Names}}')).trim()).not.toContain('sleeper');
  });

  it('runs execs: output, exit codes, env, workdir, user, stdin, detached, and several at once', async () => {
    expect(await ok('exec', 'sleeper', 'echo', 'from exec')).toBe('from exec\n');
    expect((await docker('exec', 'sleeper', 'sh', '-c', 'exit 3')).code).toBe(3);
    expect(await ok('exec', '-e', 'GREETING=hi', '-w', '/tmp', '-u', 'vic', 'sleeper', 'sh', '-c', 'echo $GREETING $(pwd) $(id -u)')).toBe('hi /tmp 1000\n');
    expect((await dockerWith({ input: 'into exec\n' }, 'exec', '-i', 'sleeper', 'cat')).stdout).toBe('into exec\n');
    const missing = await docker('exec', 'sleeper', 'no-such-command');
    expect(missing.code).toBe(127);
    expect(missing.stdout + missing.stderr).toContain('executable file not found');
    expect((await docker('exec', '-d', 'sleeper', 'touch', '/tmp/detached')).code).toBe(0);
    const together = await Promise.all([1, 2, 3].map((n) => ok('exec', 'sleeper', 'sh', '-c', `sleep 1; echo exec ${n}`)));
    expect(together).toEqual(['exec 1\n', 'exec 2\n', 'exec 3\n']);
    expect((await docker('exec', 'sleeper', 'test', '-f', '/tmp/detached')).code).toBe(0);
  });

  it('reports stats with CPU and memory', async () => {
    const line = (await ok('stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}}', 'sleeper')).trim();
    expect(line).toMatch(/^sleeper \d+\.\d+% [\d.]+[KMG]iB \/ [\d.]+[KMG]iB$/);
    expect(line).not.toMatch(/ 0B \/ 0B$/);
  });

  it('pauses and unpauses its processes; top, cp and stats answer while it is paused, exec is refused', async () => {
    await ok('pause', 'sleeper');
    expect(await inspect('sleeper', '{{.State.Status}} {{.State.Paused}}')).toBe('paused true');
    const exec = await docker('exec', 'sleeper', 'true');
    expect(exec.stderr).toContain('is paused, unpause the container before exec');
    expect(await ok('top', 'sleeper')).toMatch(/ sleep 1000$/m);
    expect(await ok('cp', 'sleeper:/etc/hostname', '-')).toContain(await inspect('sleeper', '{{.Config.Hostname}}'));
    expect(await ok('stats', '--no-stream', '--format', '{{.Name}}', 'sleeper')).toBe('sleeper\n');
    await ok('unpause', 'sleeper');
    expect(await ok('exec', 'sleeper', 'echo', 'awake')).toBe('awake\n');
  });

  it('counts it in docker info and docker system df', async () => {
    expect((await ok('info', '--format', '{{.Containers}} {{.ContainersRunning}}')).trim()).toMatch(/^\d+ 1$/);
    const df = await ok('system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}');
    expect(df).toMatch(/^Images 1 1$/m);
    expect(df).toMatch(/^Containers \d+ 1$/m);
  });

  it('keeps its image from being removed while it runs', async () => {
    const refused = await docker('rmi', 'busybox');
    expect(refused.stderr).toMatch(/conflict: unable to delete [0-9a-f]{12} \(cannot be forced\) - image is being used by running container [0-9a-f]{12}/);
  });

  it('renames it, and refuses to remove it while it runs', async () => {
    await ok('rename', 'sleeper', 'dozer');
    expect(await inspect('dozer', '{{.Name}}')).toBe('/dozer');
    const refused = await docker('rm', 'dozer');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('cannot remove container "/dozer": container is running: stop the container before removing or force remove');
    await ok('rename', 'dozer', 'sleeper');
  });

  it('restarts it keeping its files, and stop gives 143 to a shell that exits on TERM', async () => {
    await ok('exec', 'sleeper', 'sh', '-c', 'echo kept > /root/mark');
    await ok('restart', '-t', '5', 'sleeper');
    expect(await inspect('sleeper', '{{.State.Running}} {{.RestartCount}}')).toBe('true 1');
    expect(await ok('exec', 'sleeper', 'cat', '/root/mark')).toBe('kept\n');
    const started = Date.now();
    await ok('stop', 'sleeper');
    expect(Date.now() - started).toBeLessThan(10_000); // it went on SIGTERM, not after the timeout
    expect(await inspect('sleeper', '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 143');
    expect((await ok('logs', 'sleeper'))).toBe('started\nstarted\n');
  });
});

describe('stopping what will not stop, killing, and logs', () => {
  it('stop sends SIGKILL after the timeout to a process that ignores TERM (137), and kill gives 137 at once', async () => {
    await ok('run', '-d', '--name', 'stubborn', 'busybox', 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done');
    await waitForLog('stubborn', 'ready'); // a TERM before the trap is set would end the shell with 143
    await ok('stop', '-t', '1', 'stubborn');
    expect(await inspect('stubborn', '{{.State.ExitCode}}')).toBe('137');
    await ok('start', 'stubborn');
    await ok('kill', 'stubborn');
    expect((await ok('wait', 'stubborn')).trim()).toBe('137');
    expect((await ok('ps', '-a', '--filter', 'exited=137', '--format', '{{.Names}}')).trim()).toBe('stubborn');
    await ok('start', 'stubborn');
    await ok('kill', '--signal', 'USR1', 'stubborn'); // the trap ignores only TERM
    expect((await ok('wait', 'stubborn')).trim()).toBe(String(128 + 10));
    const killStopped = await docker('kill', 'stubborn');
    expect(killStopped.stderr).toMatch(/Cannot kill container: stubborn: Container [0-9a-f]{64} is not running/);
    await ok('rm', 'stubborn');
  });

  it('stop uses the container\'s stop signal and timeout', async () => {
    await ok('run', '-d', '--name', 'usr1', '--stop-signal', 'SIGUSR1', '--stop-timeout', '30', 'busybox', 'sh', '-c', 'trap "exit 7" USR1; echo ready; while true; do sleep 1; done');
    await waitForLog('usr1', 'ready');
    await ok('stop', 'usr1');
    expect(await inspect('usr1', '{{.State.ExitCode}} {{.Config.StopSignal}} {{.Config.StopTimeout}}')).toBe('7 SIGUSR1 30');
    await ok('rm', 'usr1');
  });

  it('docker attach streams a running container\'s output to its end', async () => {
    await ok('run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'echo ready; sleep 2; echo tick; echo tock >&2');
    await waitForLog('ticker', 'ready');
    const attached = await docker('attach', '--no-stdin', 'ticker');
    expect([attached.code, attached.stdout, attached.stderr]).toEqual([0, 'tick\n', 'tock\n']);
    await ok('rm', 'ticker');
  });

  it('keeps logs on disk after exit: streams apart, tail, timestamps, follow to the end', async () => {
    // The pause keeps the order across the two streams, which travel apart.
    await ok('run', '--name', 'talker', 'busybox', 'sh', '-c', 'echo one; echo two >&2; sleep 0.5; echo three');
    const logs = await docker('logs', 'talker');
    expect([logs.stdout, logs.stderr]).toEqual(['one\nthree\n', 'two\n']);
    expect((await ok('logs', '--tail', '1', 'talker'))).toBe('three\n');
    expect(await ok('logs', '-t', 'talker')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n\S+ three\n$/);
    // "three" came 0.5 s after "one": a bound between them splits the log.
    const [first, last] = (await ok('logs', '-t', 'talker')).trim().split('\n').map((line) => Date.parse(line.split(' ')[0]!));
    const between = ((first! + last!) / 2 / 1000).toFixed(3);
    expect(await ok('logs', '--since', between, 'talker')).toBe('three\n');
    expect(await ok('logs', '--until', between, 'talker')).toBe('one\n');
    await ok('run', '-d', '--name', 'counter', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo $i; sleep 1; done');
    expect(await ok('logs', '-f', 'counter')).toBe('1\n2\n3\n');
    expect((await ok('ps', '-a', '-n', '1', '--format', '{{.Names}} {{.Status}}')).trim()).toMatch(/^counter Exited \(0\)/);
    await ok('rm', 'talker', 'counter');
  });

  it('reports container events with filters', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await ok('run', '--rm', '--name', 'eventful', 'busybox', 'true');
    const until = Math.ceil(Date.now() / 1000) + 1;
    const events = await ok('events', '--since', String(since), '--until', String(until), '--filter', 'container=eventful', '--format', '{{.Action}}');
    expect(events.trim().split('\n')).toEqual(['create', 'start', 'die', 'destroy']);
    await ok('tag', 'busybox', 'busybox:eventful');
    await ok('rmi', 'busybox:eventful');
    const imageEvents = await ok('events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'type=image', '--format', '{{.Action}} {{.Actor.Attributes.name}}');
    expect(imageEvents.trim().split('\n').filter((line) => line.includes('eventful'))).toEqual(['tag busybox:eventful', 'untag busybox:eventful']);
  });
});

describe('error texts', () => {
  it('answers with dockerd\'s words', async () => {
    expect((await docker('start', 'nope')).stderr).toContain('Error response from daemon: No such container: nope');
    expect((await docker('logs', 'nope')).stderr).toContain('No such container: nope');
    expect((await docker('run', '--rm', '--pull', 'never', 'no-such-image:1')).stderr).toContain('No such image: no-such-image:1');
    expect((await docker('run', '--rm', 'Invalid:Reference')).stderr).toContain('invalid reference format');
    expect((await docker('exec', 'nope', 'true')).stderr).toContain('No such container: nope');
    expect((await docker('stop', 'nope')).stderr).toContain('No such container: nope');
  });
});
