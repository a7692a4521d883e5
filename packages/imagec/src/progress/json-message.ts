/**
 * The progress stream of `POST /images/create` (and load/push): one JSON object per line, as
 * moby's pkg/jsonmessage defines it and the docker CLI renders it.
 */
export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  /** The server-rendered bar, for clients that print `progress` verbatim. */
  progress?: string;
  error?: string;
  errorDetail?: { message: string };
  /** Extra data, e.g. the `docker load` result. */
  stream?: string;
}

export type ProgressSink = (message: JsonMessage) => void;

const decimalUnits = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** go-units `HumanSize`: decimal units, four significant digits, e.g. `1.234MB`. */
export function humanSize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < decimalUnits.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${Number(size.toPrecision(4))}${decimalUnits[unit]}`;
}

/** jsonmessage `JSONProgress.String()` at the width dockerd renders with (wider than 110 columns). */
export function renderProgressBar(current: number, total: number): string {
  if (total <= 0) return current <= 0 ? '' : humanSize(current).padStart(8);
  const filled = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  const bar = `[${'='.repeat(filled)}>${' '.repeat(50 - filled)}] `;
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

/** The 12-hex short form Docker uses for layer IDs in progress lines. */
export function shortDigest(digest: string): string {
  return digest.replace(/^[a-z0-9]+:/, '').slice(0, 12);
}

/** A line about the whole pull (`Pulling from …`, `Digest: …`); `id` is the tag or digest being pulled. */
export function statusMessage(status: string, id?: string): JsonMessage {
  return id === undefined ? { status } : { status, id };
}

/** A step of one layer (`Pulling fs layer`, `Download complete`, …), as dockerd sends it with an empty detail. */
export function layerStatusMessage(status: string, id: string): JsonMessage {
  return { status, progressDetail: {}, id };
}

export function progressMessage(status: string, id: string, current: number, total: number): JsonMessage {
  return { status, progressDetail: { current, total }, progress: renderProgressBar(current, total), id };
}

export function errorMessage(message: string): JsonMessage {
  return { errorDetail: { message }, error: message };
}
