import type { ImageStore } from '@vic/imagec';
import type { ContainerRecord, ContainerStatus } from '../containers/container-record';
import type { ContainerStore } from '../containers/container-store';
import { DockerApiError } from './docker-error';
import { labelsMatch, parseFilters } from './filters';
import { queryFlag } from './query-flag';

export interface ListQuery {
  all?: string;
  limit?: string;
  filters?: string;
}

const KNOWN_FILTERS = ['id', 'name', 'label', 'status', 'exited', 'before', 'since', 'ancestor', 'volume'] as const;
/** The statuses dockerd's `status` filter accepts (vic has no restarting, removing or dead containers, but they are valid words). */
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** `GET /containers/json`: newest first, running ones unless `all`, then dockerd's filters and the limit. */
export function listContainers(store: ContainerStore, images: ImageStore, query: ListQuery): ContainerRecord[] {
  const filters = parseFilters(query.filters, KNOWN_FILTERS);
  for (const status of filters.get('status') ?? []) {
    if (!STATUSES.includes(status)) throw new DockerApiError(400, `invalid filter 'status=${status}'`);
  }
  const exitCodes = (filters.get('exited') ?? []).map((value) => {
    if (!/^-?\d+$/.test(value)) throw new DockerApiError(400, `invalid filter 'exited=${value}'`);
    return Number(value);
  });
  const createdOf = (reference: string) => {
    const record = store.find(reference);
    if (!record) throw new DockerApiError(404, `No such container: ${reference}`);
    return Date.parse(record.created);
  };
  const before = filters.get('before')?.map(createdOf);
  const since = filters.get('since')?.map(createdOf);
  const ancestors = (filters.get('ancestor') ?? []).map((ref) => {
    const found = images.find(ref);
    return found.ok ? found.value.record.id : ref;
  });
  const limit = query.limit !== undefined && query.limit !== '' ? Number(query.limit) : -1;
  // A limit, or a filter on status, exit code or creation order, looks at every container, as dockerd does.
  const all = queryFlag(query.all) || limit > 0 || ['status', 'exited', 'before', 'since'].some((name) => filters.has(name));
  const matches = (record: ContainerRecord) => {
    const status: ContainerStatus = record.state.status;
    const created = Date.parse(record.created);
    if (!all && status !== 'running' && status !== 'paused') return false;
    if (filters.has('id') && !filters.get('id')!.some((id) => record.id.startsWith(id))) return false;
    if (filters.has('name') && !filters.get('name')!.some((name) => new RegExp(name.replace(/^\//, '')).test(record.name))) return false;
    if (filters.has('status') && !filters.get('status')!.includes(status)) return false;
    if (exitCodes.length > 0 && (status !== 'exited' || !exitCodes.includes(record.state.exitCode))) return false;
    if (before && !before.every((limit) => created < limit)) return false;
    if (since && !since.every((limit) => created > limit)) return false;
    if (ancestors.length > 0 && !ancestors.some((ancestor) => record.imageId === ancestor || record.imageName === ancestor)) return false;
    // dockerd's volume filter: a volume's name or any mount's destination.
    if (filters.has('volume') && !filters.get('volume')!.some((value) => record.mounts?.some((mount) => mount.target === value || (mount.type === 'volume' && mount.name === value)))) return false;
    return labelsMatch(filters, record.labels);
  };
  const sorted = store
    .all()
    .sort((a, b) => Date.parse(b.created) - Date.parse(a.created))
    .filter(matches);
  return limit > 0 ? sorted.slice(0, limit) : sorted;
}
