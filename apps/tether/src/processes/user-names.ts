import { readFile } from 'node:fs/promises';

/** /etc/passwd is small; anything larger is not one. */
const MAX_PASSWD_BYTES = 10 * 1024 * 1024;

/** uid -> user name from the container's /etc/passwd (the first entry wins, as getpwuid's does). */
export async function readUserNames(passwdPath = '/etc/passwd'): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  let text: string;
  try {
    text = await readFile(passwdPath, 'utf8');
  } catch (err) {
    // An image without /etc/passwd shows numeric uids, as ps does.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return names;
    throw err;
  }
  if (text.length > MAX_PASSWD_BYTES) return names;
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    const id = Number(uid);
    if (name && uid && Number.isInteger(id) && !names.has(id)) names.set(id, name);
  }
  return names;
}
