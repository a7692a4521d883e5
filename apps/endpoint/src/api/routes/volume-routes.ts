import type { FastifyInstance } from 'fastify';
import type { VolumeErrorCode, VolumeCreateRequest, VolumeStore } from '../../volumes/volume-store';
import { ANONYMOUS_LABEL, type VolumeRecord } from '../../volumes/volume-record';
import { volumeJson } from '../../volumes/volume-json';
import { queryFlag } from '../query-flag';
import { DockerApiError, valueOrApiError } from '../docker-error';
import { booleanFilter, labelsMatch, parseFilters, type Filters } from '../filters';

export interface VolumeRouteDeps {
  volumes: VolumeStore;
}

/** The status dockerd gives each kind of volume failure. */
const statusByCode: Record<VolumeErrorCode, number> = { NO_SUCH_VOLUME: 404, INVALID_VOLUME: 400, VOLUME_IN_USE: 409 };

/** dockerd matches `name` filters as regular expressions against the name. */
function nameMatches(filters: Filters, name: string): boolean {
  const wanted = filters.get('name') ?? [];
  if (wanted.length === 0) return true;
  return wanted.some((pattern) => {
    try {
      return new RegExp(pattern).test(name);
    } catch (error) {
      throw new DockerApiError(400, `invalid filter 'name=${pattern}': ${(error as Error).message}`);
    }
  });
}

function matches(volumes: VolumeStore, record: VolumeRecord, filters: Filters): boolean {
  const dangling = booleanFilter(filters, 'dangling');
  if (dangling !== undefined && (volumes.users(record.id).length === 0) !== dangling) return false;
  const drivers = filters.get('driver') ?? [];
  if (drivers.length > 0 && !drivers.includes(record.driver)) return false;
  return nameMatches(filters, record.id) && labelsMatch(filters, record.labels);
}

/** `label!=key[=value]` of prune: volumes with a matching label are kept. */
function labelsExcluded(filters: Filters, labels: Record<string, string>): boolean {
  return (filters.get('label!') ?? []).some((unwanted) => labelsMatch(new Map([['label', [unwanted]]]), labels));
}

/** The `/volumes` endpoints of the Engine API. */
export function registerVolumeRoutes(app: FastifyInstance, deps: VolumeRouteDeps): void {
  const { volumes } = deps;

  app.get('/volumes', async (request) => {
    const filters = parseFilters((request.query as { filters?: string }).filters, ['dangling', 'driver', 'label', 'name']);
    return { Volumes: volumes.all().filter((record) => matches(volumes, record, filters)).map(volumeJson), Warnings: [] };
  });

  app.post('/volumes/create', async (request, reply) => {
    const record = valueOrApiError(await volumes.create((request.body ?? {}) as VolumeCreateRequest), statusByCode);
    return reply.code(201).send(volumeJson(record));
  });

  /** API ≥ 1.42 semantics (the docker CLI 28 speaks 1.45): only anonymous volumes, unless `all=true`. */
  app.post('/volumes/prune', async (request) => {
    const filters = parseFilters((request.query as { filters?: string }).filters, ['all', 'label', 'label!']);
    const all = booleanFilter(filters, 'all') === true;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const record of volumes.all()) {
      if (!all && !Object.hasOwn(record.labels, ANONYMOUS_LABEL)) continue;
      if (!labelsMatch(filters, record.labels) || labelsExcluded(filters, record.labels)) continue;
      if (volumes.users(record.id).length > 0) continue;
      const size = await volumes.diskUsage(record.id);
      if ((await volumes.remove(record.id)).ok) {
        deleted.push(record.id);
        reclaimed += size;
      }
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  });

  app.get('/volumes/:name', async (request) => {
    const { name } = request.params as { name: string };
    return volumeJson(valueOrApiError(volumes.get(name), statusByCode));
  });

  app.delete('/volumes/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    valueOrApiError(await volumes.remove(name, queryFlag((request.query as { force?: string }).force)), statusByCode);
    return reply.code(204).send();
  });
}
