import type { FastifyReply } from 'fastify';
import type { ContainerRecord } from '../../containers/container-record';
import type { ContainerRuntime } from '../../containers/container-runtime';
import { multiplexedSink, rawSink, type OutputSink } from '../../containers/output-sink';
import { inTimeRange, readContainerLog, type LogEntry, type LogQuery } from '../../logs/container-log';
import { queryFlag } from '../query-flag';
import { DockerApiError } from '../docker-error';

/** `since`/`until` as the CLI sends them: Unix seconds with an optional fraction; 0 is no bound. */
function timeBound(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '' || value === '0') return undefined;
  if (!/^\d+(\.\d+)?$/.test(value)) throw new DockerApiError(400, `invalid value for ${name}: ${value}`);
  return Number(value) * 1000;
}

function tailOf(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === 'all') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number)) throw new DockerApiError(400, `invalid value for tail: ${value}`);
  return number < 0 ? undefined : number;
}

/**
 * `GET /containers/{id}/logs`: the container's log from disk, then (with follow) what it prints
 * until it exits or `until` passes. Multiplexed framing without a tty, raw with one.
 */
export async function streamContainerLogs(runtime: ContainerRuntime, record: ContainerRecord, query: Record<string, string | undefined>, reply: FastifyReply): Promise<void> {
  const wanted = { stdout: queryFlag(query.stdout), stderr: queryFlag(query.stderr) };
  if (!wanted.stdout && !wanted.stderr) throw new DockerApiError(400, 'Bad parameters: you must choose at least one stream');
  const logQuery: LogQuery = { sinceMs: timeBound(query.since, 'since'), untilMs: timeBound(query.until, 'until'), tail: tailOf(query.tail) };
  const timestamps = queryFlag(query.timestamps);
  const tty = record.config.Tty === true;
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, { 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
  response.on('error', () => undefined); // a client that hangs up ends the stream, nothing more
  const sink: OutputSink = tty ? rawSink(response) : multiplexedSink(response);
  const send = (entry: LogEntry) => {
    if (!wanted[entry.stream]) return;
    sink.write(entry.stream, timestamps ? Buffer.concat([Buffer.from(`${entry.time} `), entry.bytes]) : entry.bytes);
  };
  const live = queryFlag(query.follow) ? runtime.liveLog(record.id) : undefined;
  // Reading the file and subscribing happen in one tick, and log writes are synchronous: no entry is missed or repeated.
  for (const entry of readContainerLog(runtime.logPath(record.id), logQuery)) send(entry);
  if (!live || (logQuery.untilMs !== undefined && logQuery.untilMs <= Date.now())) return sink.end();
  let untilTimer: NodeJS.Timeout | undefined;
  let unsubscribe = () => undefined as void;
  const finish = () => {
    clearTimeout(untilTimer);
    unsubscribe();
    sink.end();
  };
  unsubscribe = live.follow((entry) => {
    if (inTimeRange(entry, { sinceMs: logQuery.sinceMs })) send(entry);
  }, finish);
  if (logQuery.untilMs !== undefined) untilTimer = setTimeout(finish, logQuery.untilMs - Date.now());
  response.on('close', finish);
}
