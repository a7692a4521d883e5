import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';
import type { Stats } from '@vic/protocol';
import type { ContainerRecord } from '../../containers/container-record';
import type { ContainerRuntime } from '../../containers/container-runtime';
import { queryFlag } from '../query-flag';

/** dockerd samples once a second. */
const SAMPLE_INTERVAL_MS = 1000;
const STATS_REQUEST_TIMEOUT_MS = 5000;
const ZERO_TIME = '0001-01-01T00:00:00Z';

function cpuStats(stats: Stats | null) {
  return {
    cpu_usage: { total_usage: stats?.cpu.totalUsageNs ?? 0, usage_in_kernelmode: stats?.cpu.systemNs ?? 0, usage_in_usermode: stats?.cpu.userNs ?? 0 },
    system_cpu_usage: stats?.cpu.systemUsageNs ?? 0,
    online_cpus: stats?.cpu.onlineCpus ?? 0,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/** One `GET /containers/{id}/stats` sample in dockerd's shape, from the tether's in-guest counters; null samples are a stopped container's zeros. */
function dockerStats(record: ContainerRecord, current: Stats | null, previous: Stats | null) {
  const networks = Object.fromEntries(
    Object.entries(current?.network ?? {}).map(([name, n]) => [
      name,
      { rx_bytes: n.rxBytes, rx_packets: n.rxPackets, rx_errors: n.rxErrors, rx_dropped: 0, tx_bytes: n.txBytes, tx_packets: n.txPackets, tx_errors: n.txErrors, tx_dropped: 0 },
    ]),
  );
  const blockIo = (current?.blockIo ?? []).flatMap((device) => {
    const [major, minor] = device.device.split(':').map(Number);
    return [
      { major: major ?? 0, minor: minor ?? 0, op: 'read', value: device.readBytes },
      { major: major ?? 0, minor: minor ?? 0, op: 'write', value: device.writeBytes },
    ];
  });
  return {
    name: `/${record.name}`,
    id: record.id,
    read: current ? new Date(current.time).toISOString() : ZERO_TIME,
    preread: previous ? new Date(previous.time).toISOString() : ZERO_TIME,
    pids_stats: { current: current?.pids ?? 0 },
    blkio_stats: { io_service_bytes_recursive: blockIo },
    num_procs: 0,
    cpu_stats: cpuStats(current),
    precpu_stats: cpuStats(previous),
    memory_stats: current ? { usage: current.memory.usageBytes, limit: current.memory.limitBytes, stats: { inactive_file: 0 } } : {},
    networks,
  };
}

/**
 * `GET /containers/{id}/stats`: a sample a second while the container runs (`stream`), or one
 * sample with the one before it for the CPU delta (`stream=false`, as `docker stats --no-stream`).
 */
export async function streamContainerStats(runtime: ContainerRuntime, record: ContainerRecord, query: Record<string, string | undefined>, reply: FastifyReply): Promise<void> {
  const stream = query.stream === undefined || queryFlag(query.stream);
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, { 'Content-Type': 'application/json' });
  response.on('error', () => undefined);
  let closed = false;
  response.on('close', () => (closed = true));
  const sample = async (): Promise<Stats | null> => {
    const running = runtime.runningContainer(record.id);
    if (!running) return null;
    return running.vm.client.request({ op: 'stats' }, STATS_REQUEST_TIMEOUT_MS).catch(() => null);
  };
  let previous = await sample();
  if (!stream || !previous) {
    if (previous && !queryFlag(query['one-shot'])) {
      await sleep(SAMPLE_INTERVAL_MS);
      const current = await sample();
      response.end(`${JSON.stringify(dockerStats(record, current ?? previous, current ? previous : null))}\n`);
    } else {
      response.end(`${JSON.stringify(dockerStats(record, previous, null))}\n`);
    }
    return;
  }
  response.write(`${JSON.stringify(dockerStats(record, previous, null))}\n`);
  while (!closed) {
    await sleep(SAMPLE_INTERVAL_MS);
    const current = await sample();
    if (!current) break;
    response.write(`${JSON.stringify(dockerStats(record, current, previous))}\n`);
    previous = current;
  }
  response.end();
}
