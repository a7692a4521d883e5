import type { FastifyInstance } from 'fastify';
import type { ContainerCreateConfig } from '../../containers/container-record';
import type { ContainerErrorCode, ContainerRuntime, WaitCondition } from '../../containers/container-runtime';
import type { ContainerStore } from '../../containers/container-store';
import { multiplexedSink, rawSink } from '../../containers/output-sink';
import { DockerApiError } from '../docker-error';
import { hijackConnection } from '../hijack';

export interface ContainerRouteDeps {
  containers: ContainerStore;
  runtime: ContainerRuntime;
}

const statusByCode: Record<ContainerErrorCode, number> = {
  NO_SUCH_CONTAINER: 404,
  NO_SUCH_IMAGE: 404,
  NAME_IN_USE: 409,
  CONFLICT: 409,
  INVALID_CONFIG: 400,
  NOT_MODIFIED: 304,
  START_FAILED: 500,
};

function orThrow<T>(result: { ok: true; value: T } | { ok: false; error: { code: ContainerErrorCode; message: string } }): T {
  if (!result.ok) throw new DockerApiError(statusByCode[result.error.code], result.error.message);
  return result.value;
}

/** `abc/start` → id `abc`, action `start`. */
function idAndAction(rest: string): { id: string; action: string } {
  const slash = rest.lastIndexOf('/');
  return slash === -1 ? { id: rest, action: '' } : { id: rest.slice(0, slash), action: rest.slice(slash + 1) };
}

/** The container endpoints of the Engine API that `docker run` needs: create, attach, start, wait, inspect, remove. */
export function registerContainerRoutes(app: FastifyInstance, deps: ContainerRouteDeps): void {
  const { containers, runtime } = deps;

  app.post('/containers/create', async (request, reply) => {
    const name = (request.query as { name?: string }).name;
    const config = (request.body ?? {}) as ContainerCreateConfig;
    const record = orThrow(await runtime.create(config, name));
    return reply.code(201).send({ Id: record.id, Warnings: [] });
  });

  app.post('/containers/*', async (request, reply) => {
    const { id, action } = idAndAction((request.params as { '*': string })['*']);
    const query = request.query as Record<string, string | undefined>;
    switch (action) {
      case 'start':
        orThrow(await runtime.start(id));
        return reply.code(204).send();
      case 'attach': {
        const record = containers.find(id);
        if (!record) throw new DockerApiError(404, `No such container: ${id}`);
        const socket = hijackConnection(request, reply, !record.config.Tty);
        orThrow(runtime.attach(id, record.config.Tty ? rawSink(socket) : multiplexedSink(socket)));
        return;
      }
      case 'wait': {
        const condition = (query.condition ?? 'not-running') as WaitCondition;
        if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new DockerApiError(400, `invalid condition: "${condition}"`);
        const exited = orThrow(runtime.wait(id, condition));
        // The headers go out at once: the CLI starts the container only once its wait is in place.
        reply.hijack();
        reply.raw.writeHead(200, { 'Content-Type': 'application/json' });
        reply.raw.flushHeaders();
        reply.raw.end(JSON.stringify({ StatusCode: await exited }));
        return;
      }
      default:
        throw new DockerApiError(404, 'page not found');
    }
  });

  app.get('/containers/*', async (request) => {
    const { id, action } = idAndAction((request.params as { '*': string })['*']);
    if (action !== 'json') throw new DockerApiError(404, 'page not found');
    const record = containers.find(id);
    if (!record) throw new DockerApiError(404, `No such container: ${id}`);
    const running = record.state.status === 'running';
    return {
      Id: record.id,
      Created: record.created,
      Path: record.path,
      Args: record.args,
      State: {
        Status: record.state.status,
        Running: running,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 0,
        ExitCode: record.state.exitCode,
        Error: record.state.error ?? '',
        StartedAt: record.state.startedAt ?? '0001-01-01T00:00:00Z',
        FinishedAt: record.state.finishedAt ?? '0001-01-01T00:00:00Z',
      },
      Image: record.imageId,
      Name: `/${record.name}`,
      Config: { ...record.config, Image: record.imageName, Env: record.env },
      HostConfig: record.config.HostConfig ?? {},
    };
  });

  app.delete('/containers/*', async (request, reply) => {
    const id = (request.params as { '*': string })['*'];
    const force = ['1', 'true'].includes((request.query as { force?: string }).force ?? '');
    orThrow(await runtime.remove(id, force));
    return reply.code(204).send();
  });
}
