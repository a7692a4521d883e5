/** "[datastore] dir/file": how vSphere names a file on a datastore. */
export function datastorePath(datastore: string, path = ''): string {
  const relative = path.replace(/^\/+/, '');
  return relative === '' ? `[${datastore}]` : `[${datastore}] ${relative}`;
}

export interface ParsedDatastorePath {
  readonly datastore: string;
  readonly path: string;
}

export function parseDatastorePath(value: string): ParsedDatastorePath {
  const match = /^\[([^\]]+)\]\s*(.*)$/.exec(value);
  if (match === null) throw new TypeError(`invalid datastore path ${JSON.stringify(value)}: expected "[datastore] path"`);
  return { datastore: match[1]!, path: match[2]! };
}
