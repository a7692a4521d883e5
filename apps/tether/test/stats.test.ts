import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectStats } from '../src/stats/collect-stats';
import { parseCpu } from '../src/stats/parse-cpu';
import { parseDiskstats } from '../src/stats/parse-diskstats';
import { parseMeminfo } from '../src/stats/parse-meminfo';
import { parseNetDev } from '../src/stats/parse-net-dev';
import { parsePidStat } from '../src/stats/parse-pid-stat';

const PROC_STAT = `cpu  1000 50 300 8000 20 5 15 7 40 0
cpu0 500 25 150 4000 10 3 7 3 20 0
cpu1 500 25 150 4000 10 2 8 4 20 0
intr 123456 0 0
ctxt 987654
btime 1700000000
processes 4242
procs_running 1
`;

const MEMINFO = `MemTotal:        2035424 kB
MemFree:         1500000 kB
MemAvailable:    1800000 kB
Buffers:            2048 kB
Cached:           200000 kB
SwapCached:            0 kB
HugePages_Total:       0
`;

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3245      30    0    0    0     0          0         0     3245      30    0    0    0     0       0          0
  eth0: 257629588    8149    2    0    0     0          0         0   524186    5017    1    0    0     0       0          0
`;

const DISKSTATS = `   7       0 loop0 5 0 10 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 44912 10399 3009786 11946 8254 16268 2019384 5323 0 5896 18148 4030 75 93936 644 1122 233
 254       1 vda1 100 0 800 1 0 0 0 0 0 1 1 0 0 0 0 0 0
 254      16 vdb 10 0 80 1 2 0 16 1 0 1 1
 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   8       0 sda 1 0 8 0 0 0 0 0 0 0 0
`;

function statLine(pid: number, comm: string, ppid: number, threads: number): string {
  return `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 ${threads} 0 100 0 0\n`;
}

function fakeProc(): string {
  const root = mkdtempSync(join(tmpdir(), 'vic-stats-'));
  const files: Record<string, string> = {
    stat: PROC_STAT,
    meminfo: MEMINFO,
    'net/dev': NET_DEV,
    diskstats: DISKSTATS,
    '1/stat': statLine(1, 'node', 0, 17), // the tether
    '2/stat': statLine(2, 'kthreadd', 0, 1),
    '3/stat': statLine(3, 'kworker/0:0-events', 2, 1),
    '40/stat': statLine(40, 'java', 1, 3),
    '41/stat': statLine(41, 'sh (login)', 40, 1),
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  mkdirSync(join(root, 'sys'));
  return root;
}

describe('parsers', () => {
  it('turns the all-CPU line into nanoseconds the way Docker does', () => {
    expect(parseCpu(PROC_STAT)).toEqual({
      userNs: (1000 + 50) * 10_000_000,
      systemNs: (300 + 5 + 15) * 10_000_000,
      totalUsageNs: (1000 + 50 + 300 + 5 + 15) * 10_000_000,
      systemUsageNs: (1000 + 50 + 300 + 8000 + 20 + 5 + 15) * 10_000_000,
      onlineCpus: 2,
    });
  });

  it('refuses a /proc/stat without the cpu line', () => {
    expect(() => parseCpu('intr 1 2 3\n')).toThrow('/proc/stat has no "cpu" line');
  });

  it('reports used memory as total minus available', () => {
    expect(parseMeminfo(MEMINFO)).toEqual({
      usageBytes: (2035424 - 1800000) * 1024,
      limitBytes: 2035424 * 1024,
      cacheBytes: 200000 * 1024,
    });
  });

  it('counts traffic per interface, without loopback', () => {
    expect(parseNetDev(NET_DEV)).toEqual({
      eth0: { rxBytes: 257629588, rxPackets: 8149, rxErrors: 2, txBytes: 524186, txPackets: 5017, txErrors: 1 },
    });
  });

  it('counts I/O of whole disks only, in bytes', () => {
    expect(parseDiskstats(DISKSTATS)).toEqual([
      { device: 'vda', reads: 44912, readBytes: 3009786 * 512, writes: 8254, writeBytes: 2019384 * 512 },
      { device: 'vdb', reads: 10, readBytes: 80 * 512, writes: 2, writeBytes: 16 * 512 },
      { device: 'sda', reads: 1, readBytes: 8 * 512, writes: 0, writeBytes: 0 },
    ]);
  });

  it('reads a pid stat line whose command name holds spaces and parentheses', () => {
    expect(parsePidStat(statLine(41, 'a) R 9 (b', 40, 2))).toEqual({ pid: 41, state: 'S', ppid: 40, numThreads: 2, ttyNr: 0, utime: 0, stime: 0, startTime: 100 });
  });
});

describe('collectStats from fixture files', () => {
  const procRoot = fakeProc();
  afterAll(() => rmSync(procRoot, { recursive: true, force: true }));

  it('assembles one sample, counting the threads of container processes only', async () => {
    const before = Date.now();
    const stats = await collectStats({ procRoot, selfPid: 1 });
    expect(stats.time).toBeGreaterThanOrEqual(before);
    expect(stats.pids).toBe(3 + 1); // java's three threads and sh; not the tether, not kernel threads
    expect(stats.cpu.onlineCpus).toBe(2);
    expect(stats.memory.limitBytes).toBe(2035424 * 1024);
    expect(Object.keys(stats.network)).toEqual(['eth0']);
    expect(stats.blockIo.map((disk) => disk.device)).toEqual(['vda', 'vdb', 'sda']);
  });
});

describe('collectStats from the host /proc', () => {
  it('reports non-zero counters', async () => {
    const stats = await collectStats();
    expect(stats.cpu.totalUsageNs).toBeGreaterThan(0);
    expect(stats.cpu.systemUsageNs).toBeGreaterThan(stats.cpu.totalUsageNs);
    expect(stats.cpu.onlineCpus).toBeGreaterThan(0);
    expect(stats.memory.usageBytes).toBeGreaterThan(0);
    expect(stats.memory.limitBytes).toBeGreaterThan(stats.memory.usageBytes);
    expect(stats.pids).toBeGreaterThan(0);
  });

  it('sees CPU time grow while this process spins', async () => {
    const first = await collectStats();
    const spinUntil = Date.now() + 300;
    while (Date.now() < spinUntil) Math.sqrt(Math.random());
    const second = await collectStats();
    // 300 ms of one busy core is 30 ticks; allow for tick granularity.
    expect(second.cpu.totalUsageNs - first.cpu.totalUsageNs).toBeGreaterThanOrEqual(200_000_000);
    expect(second.cpu.systemUsageNs).toBeGreaterThan(first.cpu.systemUsageNs);
  });
});
