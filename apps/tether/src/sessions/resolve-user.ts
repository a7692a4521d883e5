import { readFileSync, statSync } from 'node:fs';
import type { RemoteError } from '@vic/protocol';
import { resolveInRoot } from './find-executable';

export interface ExecUser {
  uid: number;
  gid: number;
  home: string;
  /** The passwd entry that matched, if one did. */
  name?: string;
}

export type ResolveUserResult = { ok: true; value: ExecUser } | { ok: false; error: RemoteError };

/** The ids runc accepts: the kernel allows more, but 32-bit systems and the OCI tools do not. */
const MAX_ID = 2 ** 31 - 1;

/** User databases are small; anything larger is not one. */
const MAX_DATABASE_BYTES = 10 * 1024 * 1024;

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
}

/** A user or group as written in the spec: numeric ones match by id only, others by name. */
interface IdArg {
  name: string;
  id: number | null;
}

class SpecError extends Error {
  constructor(readonly error: RemoteError) {
    super(error.message);
  }
}

/**
 * Resolves Docker's `--user` ("name", "uid", "name:group", "uid:gid", "name:gid", "uid:group", or
 * nothing for root) against the image's /etc/passwd and /etc/group under `rootDir`, with runc's
 * rules and wording (moby/sys user.GetExecUser). A numeric id need not exist in the files.
 */
export function resolveUser(rootDir: string, spec = ''): ResolveUserResult {
  try {
    return { ok: true, value: resolve(rootDir, spec) };
  } catch (err) {
    if (err instanceof SpecError) return { ok: false, error: err.error };
    throw err;
  }
}

function resolve(rootDir: string, spec: string): ExecUser {
  const colon = spec.indexOf(':');
  const [userText, groupText] = colon < 0 ? [spec, ''] : [spec.slice(0, colon), spec.slice(colon + 1)];
  const userArg = parseIdArg(userText);
  const groupArg = parseIdArg(groupText);

  const passwd = readDatabase(rootDir, '/etc/passwd', parsePasswdLine);
  const user = passwd?.find((entry) => (userArg === null ? entry.uid === 0 : matches(userArg, entry.name, entry.uid)));
  const result: ExecUser = user
    ? { uid: user.uid, gid: user.gid, home: user.home || '/', name: user.name }
    : { uid: 0, gid: 0, home: '/' };
  if (!user && userArg !== null) {
    if (userArg.id === null) fail('ENOUSER', `unable to find user ${userArg.name}: no matching entries in passwd file`);
    result.uid = userArg.id;
  }

  if (groupArg !== null) {
    const groups = readDatabase(rootDir, '/etc/group', parseGroupLine);
    const group = groups?.find((entry) => matches(groupArg, entry.name, entry.gid));
    if (group) {
      result.gid = group.gid;
    } else {
      if (groupArg.id === null) fail('ENOGROUP', `unable to find group ${groupArg.name}: no matching entries in group file`);
      result.gid = groupArg.id;
    }
  }
  return result;
}

function parseIdArg(text: string): IdArg | null {
  if (text === '') return null;
  if (!/^[+-]?[0-9]+$/.test(text)) return { name: text, id: null };
  const id = Number(text);
  if (id < 0 || id > MAX_ID) fail('EINVAL', `uids and gids must be in range 0-${MAX_ID}`);
  return { name: text, id };
}

function matches(arg: IdArg, name: string, id: number): boolean {
  return arg.id === null ? arg.name === name : arg.id === id;
}

/** Reads a user database inside the root; null when the image has none. */
function readDatabase<T>(rootDir: string, path: string, parseLine: (fields: string[]) => T | null): T[] | null {
  let text: string;
  try {
    const hostPath = resolveInRoot(rootDir, path);
    const stats = statSync(hostPath);
    if (!stats.isFile()) fail('EINVAL', `unable to read ${path}: not a regular file`);
    if (stats.size > MAX_DATABASE_BYTES) fail('EFBIG', `unable to read ${path}: file exceeds ${MAX_DATABASE_BYTES} bytes`);
    text = readFileSync(hostPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (err instanceof SpecError || code === undefined) throw err;
    return fail(code, `unable to read ${path}: ${(err as Error).message}`);
  }
  const entries: T[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const entry = parseLine(line.split(':'));
    if (entry !== null) entries.push(entry);
  }
  return entries;
}

/** name:password:uid:gid:gecos:home:shell */
function parsePasswdLine([name, , uid, gid, , home]: string[]): PasswdEntry | null {
  const [uidNumber, gidNumber] = [parseId(uid), parseId(gid)];
  if (name === undefined || uidNumber === null || gidNumber === null) return null;
  return { name, uid: uidNumber, gid: gidNumber, home: home ?? '' };
}

/** name:password:gid:members */
function parseGroupLine([name, , gid]: string[]): GroupEntry | null {
  const gidNumber = parseId(gid);
  if (name === undefined || gidNumber === null) return null;
  return { name, gid: gidNumber };
}

function parseId(text: string | undefined): number | null {
  return text !== undefined && /^[0-9]+$/.test(text) ? Number(text) : null;
}

function fail(code: string, message: string): never {
  throw new SpecError({ code, message });
}
