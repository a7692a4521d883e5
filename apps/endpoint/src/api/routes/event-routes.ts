import type { FastifyInstance } from 'fastify';
import type { DockerEvent, EventLog } from '../../events/event-log';
import { DockerApiError } from '../docker-error';
import { labelsMatch, parseFilters, type Filters } from '../filters';

export interface EventRouteDeps {
  events: EventLog;
}

const KNOWN_FILTERS = ['type', 'event', 'container', 'image', 'label', 'volume', 'network', 'daemon', 'scope'];

/** `since`/`until` as the CLI sends them: Unix seconds with an optional fraction, or RFC 3339. */
function timeOf(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new DockerApiError(400, `invalid value for ${name}: ${value}`);
  return ms;
}

function matches(event: DockerEvent, filters: Filters): boolean {
  const oneOf = (name: string, candidates: string[]) => !filters.has(name) || filters.get(name)!.some((value) => candidates.includes(value));
  const attributes = event.Actor.Attributes;
  const action = event.Action.split(':')[0]!;
  return (
    oneOf('type', [event.Type]) &&
    oneOf('event', [action, event.Action]) &&
    (!filters.has('container') || (event.Type === 'container' && filters.get('container')!.some((c) => event.Actor.ID.startsWith(c) || attributes.name === c))) &&
    (!filters.has('image') || filters.get('image')!.some((image) => attributes.image === image || event.Actor.ID === image)) &&
    (!filters.has('volume') || (event.Type === 'volume' && filters.get('volume')!.includes(event.Actor.ID))) &&
    labelsMatch(filters, attributes)
  );
}

/** `GET /events`: past events since `since`, then live ones until `until` or the client leaves. */
export function registerEventRoutes(app: FastifyInstance, deps: EventRouteDeps): void {
  app.get('/events', async (request, reply) => {
    const query = request.query as { since?: string; until?: string; filters?: string };
    const filters = parseFilters(query.filters, KNOWN_FILTERS);
    const sinceMs = timeOf(query.since, 'since');
    const untilMs = timeOf(query.until, 'until');
    const inRange = (event: DockerEvent) => {
      const ms = event.timeNano / 1e6;
      return (sinceMs === undefined || ms >= sinceMs) && (untilMs === undefined || ms <= untilMs);
    };
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.flushHeaders();
    response.on('error', () => undefined);
    const send = (event: DockerEvent) => {
      if (inRange(event) && matches(event, filters)) response.write(`${JSON.stringify(event)}\n`);
    };
    if (sinceMs !== undefined) deps.events.past().forEach(send);
    if (untilMs !== undefined && untilMs <= Date.now()) return response.end();
    const unsubscribe = deps.events.subscribe(send);
    const timer = untilMs !== undefined ? setTimeout(() => response.end(), untilMs - Date.now()) : undefined;
    response.on('close', () => {
      clearTimeout(timer);
      unsubscribe();
    });
  });
}
