/**
 * A boolean query parameter read as dockerd's `httputils.BoolValue` reads it: absent, empty, "0",
 * "no", "false" and "none" (any case, spaces trimmed) are false, anything else is true. One reader for
 * every route, so `?force=yes` means the same on containers and images.
 */
export function queryFlag(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !['', '0', 'no', 'false', 'none'].includes(value.trim().toLowerCase());
}
