import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ContainerRuntime, WaitCondition } from '../../containers/container-runtime';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../containers/detach-keys';
import { multiplexedSink, rawSink } from '../../containers/output-sink';
import { readContainerLog } from '../../logs/container-log';
import { orThrow } from '../container-errors';
import { queryFlag } from '../query-flag';
import { DockerApiError } from '../docker-error';
import { hijackConnection } from '../hijack';

export interface ActionContext {
  request: FastifyRequest;
  reply: FastifyReply;
  id: string;
  runtime: ContainerRuntime;
  query: Record<string, string | undefined>;
}

type ActionHandler = (context: ActionContext) => Promise<unknown>;

/** `t` in seconds, as stop and restart take it; absent means the container's own timeout. */
function stopOptions(query: ActionContext['query']): { signal?: string; timeoutSeconds?: number } {
  const timeout = query.t ?? query.timeout;
  if (timeout !== undefined && !/^-?\d+$/.test(timeout)) throw new DockerApiError(400, `invalid value for timeout: ${timeout}`);
  return { ...(query.signal ? { signal: query.signal } : {}), ...(timeout !== undefined ? { timeoutSeconds: Number(timeout) } : {}) };
}

function positiveInt(value: string | undefined, name: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new DockerApiError(400, `invalid ${name}: ${value}`);
  return number;
}

/** The `POST /containers/{id}/<action>` endpoints, by action. */
export const containerActions: Record<string, ActionHandler> = {
  async start({ reply, id, runtime }) {
    orThrow(await runtime.start(id));
    return reply.code(204).send();
  },

  async stop({ reply, id, runtime, query }) {
    orThrow(await runtime.stop(id, stopOptions(query)));
    return reply.code(204).send();
  },

  async restart({ reply, id, runtime, query }) {
    orThrow(await runtime.restart(id, stopOptions(query)));
    return reply.code(204).send();
  },

  async kill({ reply, id, runtime, query }) {
    orThrow(await runtime.kill(id, query.signal));
    return reply.code(204).send();
  },

  async pause({ reply, id, runtime }) {
    orThrow(await runtime.pause(id));
    return reply.code(204).send();
  },

  async unpause({ reply, id, runtime }) {
    orThrow(await runtime.unpause(id));
    return reply.code(204).send();
  },

  async rename({ reply, id, runtime, query }) {
    orThrow(await runtime.rename(id, query.name ?? ''));
    return reply.code(204).send();
  },

  async resize({ reply, id, runtime, query }) {
    const record = orThrow(runtime.find(id));
    const size = { rows: positiveInt(query.h, 'height'), cols: positiveInt(query.w, 'width') };
    const running = runtime.runningContainer(record.id);
    if (!running) throw new DockerApiError(409, `Container ${record.id} is not running`);
    if (record.config.Tty) await running.main.resize(size);
    return reply.code(200).send();
  },

  async wait({ reply, id, runtime, query }) {
    const condition = (query.condition || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new DockerApiError(400, `invalid condition: "${condition}"`);
    const exited = orThrow(runtime.wait(id, condition));
    // The headers go out at once: the CLI starts the container only once its wait is in place.
    reply.hijack();
    reply.raw.writeHead(200, { 'Content-Type': 'application/json' });
    reply.raw.flushHeaders();
    reply.raw.end(JSON.stringify({ StatusCode: await exited, Error: null }));
  },

  async attach({ request, reply, id, runtime, query }) {
    const record = orThrow(runtime.find(id));
    const tty = record.config.Tty === true;
    const detachKeys = parseDetachKeys(query.detachKeys || DEFAULT_DETACH_KEYS);
    if (!detachKeys) throw new DockerApiError(400, `Invalid detach keys (${query.detachKeys}) provided`);
    const socket = hijackConnection(request, reply, !tty);
    const sink = tty ? rawSink(socket) : multiplexedSink(socket);
    const wanted = { stdout: queryFlag(query.stdout), stderr: queryFlag(query.stderr) };
    const filtered = { write: (stream: 'stdout' | 'stderr', chunk: Buffer) => wanted[stream] && sink.write(stream, chunk), end: () => sink.end() };
    if (queryFlag(query.logs)) for (const entry of readContainerLog(runtime.logPath(record.id), {})) filtered.write(entry.stream, entry.bytes);
    if (!queryFlag(query.stream)) return filtered.end();
    const attached = runtime.attach(record.id, { sink: filtered, ...(queryFlag(query.stdin) ? { stdin: socket } : {}), ...(tty ? { detachKeys } : {}) });
    // Removed between the lookup and now: the connection is already the stream, so it just ends.
    if (!attached.ok) filtered.end();
  },
};
