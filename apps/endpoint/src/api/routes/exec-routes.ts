import type { FastifyInstance } from 'fastify';
import type { Result } from '@vic/imagec';
import { parseDetachKeys } from '../../containers/detach-keys';
import { multiplexedSink, rawSink } from '../../containers/output-sink';
import type { ExecCreateConfig } from '../../exec/exec-record';
import type { ExecErrorCode, ExecRuntime } from '../../exec/exec-runtime';
import { DockerApiError, valueOrApiError } from '../docker-error';
import { hijackConnection } from '../hijack';

export interface ExecRouteDeps {
  execs: ExecRuntime;
}

const statusByCode: Record<ExecErrorCode, number> = { NO_SUCH_CONTAINER: 404, NO_SUCH_EXEC: 404, CONFLICT: 409, INVALID_CONFIG: 400 };

function orThrow<T>(result: Result<T, ExecErrorCode>): T {
  return valueOrApiError(result, statusByCode);
}

/** `POST /containers/{id}/exec` and the `/exec/{id}` endpoints. */
export function registerExecRoutes(app: FastifyInstance, deps: ExecRouteDeps): void {
  const { execs } = deps;

  app.post('/containers/:id/exec', async (request, reply) => {
    const config = (request.body ?? {}) as ExecCreateConfig;
    if (config.DetachKeys && !parseDetachKeys(config.DetachKeys)) throw new DockerApiError(400, `Invalid detach keys (${config.DetachKeys}) provided`);
    const record = orThrow(await execs.create((request.params as { id: string }).id, config));
    return reply.code(201).send({ Id: record.id });
  });

  app.post('/exec/:id/start', async (request, reply) => {
    const { id } = request.params as { id: string };
    const body = (request.body ?? {}) as { Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null };
    const record = orThrow(execs.get(id));
    if (body.Detach) {
      orThrow(await execs.start(id, { consoleSize: body.ConsoleSize ?? null }));
      return reply.code(200).send();
    }
    const tty = record.config.Tty === true;
    const socket = hijackConnection(request, reply, !tty);
    const detachKeys = tty && record.config.DetachKeys ? parseDetachKeys(record.config.DetachKeys) : null;
    const started = await execs.start(id, {
      client: { sink: tty ? rawSink(socket) : multiplexedSink(socket), stdin: socket, ...(detachKeys ? { detachKeys } : {}) },
      consoleSize: body.ConsoleSize ?? null,
    });
    // The connection is already the exec's stream: a refusal can only be told there.
    if (!started.ok) socket.end(`Error: ${started.error.message}\r\n`);
  });

  app.post('/exec/:id/resize', async (request, reply) => {
    const { id } = request.params as { id: string };
    const query = request.query as { h?: string; w?: string };
    const rows = Number(query.h);
    const cols = Number(query.w);
    if (!Number.isInteger(rows) || rows <= 0 || !Number.isInteger(cols) || cols <= 0) throw new DockerApiError(400, `invalid size: ${query.h}x${query.w}`);
    orThrow(await execs.resize(id, { rows, cols }));
    return reply.code(200).send();
  });

  app.get('/exec/:id/json', async (request) => {
    const record = orThrow(execs.get((request.params as { id: string }).id));
    const { config } = record;
    return {
      ID: record.id,
      Running: record.running,
      ExitCode: record.exitCode,
      ProcessConfig: { tty: config.Tty ?? false, entrypoint: config.Cmd[0], arguments: config.Cmd.slice(1), privileged: config.Privileged ?? false, user: config.User ?? '' },
      OpenStdin: config.AttachStdin ?? false,
      OpenStderr: config.AttachStderr ?? false,
      OpenStdout: config.AttachStdout ?? false,
      CanRemove: false,
      ContainerID: record.containerId,
      DetachKeys: config.DetachKeys ?? '',
      Pid: record.pid,
    };
  });
}
