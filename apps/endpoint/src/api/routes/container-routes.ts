import type { FastifyInstance } from 'fastify';
import type { ContainerCreateConfig } from '../../containers/container-record';
import type { ContainerRuntime } from '../../containers/container-runtime';
import type { ContainerStore } from '../../containers/container-store';
import { orThrow } from '../container-errors';
import { queryFlag } from '../query-flag';
import { containerInspect, containerSummary } from '../container-json';
import { listContainers, type ListQuery } from '../container-list';
import { DockerApiError } from '../docker-error';
import { parseFilters, labelsMatch } from '../filters';
import { ContainerFiles } from '../../archive/container-files';
import { containerActions } from './container-actions';
import { exportContainer, getArchive, putArchive, statArchivePath } from './container-archive';
import { streamContainerLogs } from './container-logs';
import { streamContainerStats } from './container-stats';
import { containerTop } from './container-top';
import type { VolumeStore } from '../../volumes/volume-store';
import { mountJson } from '../../volumes/volume-json';

export interface ContainerRouteDeps {
  containers: ContainerStore;
  runtime: ContainerRuntime;
  volumes: VolumeStore;
}

/** `abc/start` → id `abc`, action `start`. */
function idAndAction(rest: string): { id: string; action: string } {
  const slash = rest.lastIndexOf('/');
  return slash === -1 ? { id: rest, action: '' } : { id: rest.slice(0, slash), action: rest.slice(slash + 1) };
}

/** The `/containers` endpoints of the Engine API. */
export function registerContainerRoutes(app: FastifyInstance, deps: ContainerRouteDeps): void {
  const { containers, runtime } = deps;
  const files = new ContainerFiles(runtime);

  app.post('/containers/create', async (request, reply) => {
    const name = (request.query as { name?: string }).name;
    const config = (request.body ?? {}) as ContainerCreateConfig;
    const { record, warnings } = orThrow(await runtime.create(config, name));
    return reply.code(201).send({ Id: record.id, Warnings: warnings });
  });

  app.get('/containers/json', async (request) => listContainers(containers, runtime.images, request.query as ListQuery).map(containerSummary));

  app.post('/containers/prune', async (request) => {
    const filters = parseFilters((request.query as { filters?: string }).filters, ['label', 'until']);
    const untilMs = filters.get('until')?.[0] ? Date.parse(filters.get('until')![0]!) || Number(filters.get('until')![0]) * 1000 : Infinity;
    const removed: string[] = [];
    for (const record of containers.all()) {
      if (record.state.status !== 'created' && record.state.status !== 'exited') continue;
      if (!labelsMatch(filters, record.labels) || Date.parse(record.created) >= untilMs) continue;
      if ((await runtime.remove(record.id, false)).ok) removed.push(record.id);
    }
    return { ContainersDeleted: removed, SpaceReclaimed: 0 };
  });

  app.post('/containers/*', async (request, reply) => {
    const { id, action } = idAndAction((request.params as { '*': string })['*']);
    const handler = containerActions[action];
    if (!handler) throw new DockerApiError(404, 'page not found');
    return handler({ request, reply, id, runtime, query: request.query as Record<string, string | undefined> });
  });

  // Declared before GET, which would otherwise answer HEAD with a GET's headers.
  app.head('/containers/*', async (request, reply) => {
    const { id, action } = idAndAction((request.params as { '*': string })['*']);
    if (action !== 'archive') throw new DockerApiError(404, 'page not found');
    return statArchivePath(files, orThrow(runtime.find(id)), request.query as Record<string, string | undefined>, reply);
  });

  // The docker CLI labels the tar it uploads text/plain: in this scope every body is left unread for the route to stream.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.put('/containers/*', async (request, reply) => {
      const { id, action } = idAndAction((request.params as { '*': string })['*']);
      if (action !== 'archive') throw new DockerApiError(404, 'page not found');
      return putArchive(files, orThrow(runtime.find(id)), request, reply);
    });
  });

  app.get('/containers/*', async (request, reply) => {
    const { id, action } = idAndAction((request.params as { '*': string })['*']);
    const query = request.query as Record<string, string | undefined>;
    const record = orThrow(runtime.find(id));
    switch (action) {
      case 'json':
        return containerInspect(record, runtime.logPath(record.id), (record.mounts ?? []).map((point) => mountJson(point, deps.volumes)));
      case 'logs':
        return streamContainerLogs(runtime, record, query, reply);
      case 'stats':
        return streamContainerStats(runtime, record, query, reply);
      case 'top':
        return containerTop(runtime, record, query.ps_args);
      case 'archive':
        return getArchive(files, record, query, reply);
      case 'export':
        return exportContainer(files, record, reply);
      default:
        throw new DockerApiError(404, 'page not found');
    }
  });

  app.delete('/containers/*', async (request, reply) => {
    const id = (request.params as { '*': string })['*'];
    const query = request.query as { force?: string; v?: string };
    orThrow(await runtime.remove(id, queryFlag(query.force), queryFlag(query.v)));
    return reply.code(204).send();
  });
}
