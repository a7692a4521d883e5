import { DockerApiError } from './docker-error';

/** Engine API `filters`: `{"label":{"a=b":true}}`, or the older `{"label":["a=b"]}`; name → values. */
export type Filters = Map<string, string[]>;

/** Parses a `filters` query value, refusing names the endpoint does not know with dockerd's wording. */
export function parseFilters(raw: string | undefined, known: readonly string[]): Filters {
  const filters: Filters = new Map();
  if (raw === undefined || raw === '') return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new DockerApiError(400, `invalid filter: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new DockerApiError(400, 'invalid filter: not an object');
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!known.includes(name)) throw new DockerApiError(400, `invalid filter '${name}'`);
    const values = Array.isArray(value) ? value.map(String) : Object.keys((value ?? {}) as Record<string, unknown>);
    filters.set(name, values);
  }
  return filters;
}

/** `true`/`false` filter values (dangling); dockerd accepts 1/0 too. */
export function booleanFilter(filters: Filters, name: string): boolean | undefined {
  const values = filters.get(name);
  if (values === undefined || values.length === 0) return undefined;
  const value = values[0]!.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new DockerApiError(400, `invalid filter '${name}=${values[0]}'`);
}

/** `label=key` or `label=key=value` against a label map; every value given must match. */
export function labelsMatch(filters: Filters, labels: Record<string, string>): boolean {
  return (filters.get('label') ?? []).every((wanted) => {
    const equals = wanted.indexOf('=');
    if (equals === -1) return Object.hasOwn(labels, wanted);
    return labels[wanted.slice(0, equals)] === wanted.slice(equals + 1);
  });
}

/** Docker's reference filter: a glob (`*`, `?`) over the familiar name, with or without the tag. */
export function globMatches(pattern: string, text: string): boolean {
  const expression = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${expression}$`).test(text);
}
