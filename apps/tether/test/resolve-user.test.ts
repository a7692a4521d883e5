import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveUser } from '../src/sessions/resolve-user';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
# a comment line
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
vic:x:1000:1000:Vic User,,,:/home/vic:/bin/sh
1234:x:4321:4321:numeric name:/home/numeric:/bin/sh
broken:x:notanumber:1::/:/bin/sh
`;

const GROUP = `root:x:0:
daemon:x:1:
staff:x:50:vic
vic:x:1000:
`;

function makeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'vic-user-'));
  mkdirSync(join(root, 'etc'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'etc', name), text);
  return root;
}

describe('resolveUser', () => {
  const root = makeRoot({ passwd: PASSWD, group: GROUP });
  const bare = makeRoot({});
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(bare, { recursive: true, force: true });
  });

  it('defaults to root with its passwd home', () => {
    expect(resolveUser(root)).toEqual({ ok: true, value: { uid: 0, gid: 0, home: '/root', name: 'root' } });
    expect(resolveUser(root, '')).toEqual(resolveUser(root));
  });

  it('defaults to root with home "/" when the image has no passwd file', () => {
    expect(resolveUser(bare)).toEqual({ ok: true, value: { uid: 0, gid: 0, home: '/' } });
  });

  it('resolves a name to its uid, primary gid and home', () => {
    expect(resolveUser(root, 'vic')).toEqual({ ok: true, value: { uid: 1000, gid: 1000, home: '/home/vic', name: 'vic' } });
  });

  it('resolves a uid through passwd when it is listed', () => {
    expect(resolveUser(root, '1000')).toEqual({ ok: true, value: { uid: 1000, gid: 1000, home: '/home/vic', name: 'vic' } });
  });

  it('matches a numeric spec by uid only, never by name', () => {
    expect(resolveUser(root, '1234')).toEqual({ ok: true, value: { uid: 1234, gid: 0, home: '/' } });
  });

  it('allows a uid that is not in passwd, with gid 0 and home "/"', () => {
    expect(resolveUser(root, '5000')).toEqual({ ok: true, value: { uid: 5000, gid: 0, home: '/' } });
    expect(resolveUser(bare, '5000:6000')).toEqual({ ok: true, value: { uid: 5000, gid: 6000, home: '/' } });
  });

  it('takes the group from group names and numbers', () => {
    expect(resolveUser(root, 'vic:staff')).toEqual({ ok: true, value: { uid: 1000, gid: 50, home: '/home/vic', name: 'vic' } });
    expect(resolveUser(root, 'vic:77')).toEqual({ ok: true, value: { uid: 1000, gid: 77, home: '/home/vic', name: 'vic' } });
    expect(resolveUser(root, '1000:staff')).toEqual({ ok: true, value: { uid: 1000, gid: 50, home: '/home/vic', name: 'vic' } });
    expect(resolveUser(root, '7:7')).toEqual({ ok: true, value: { uid: 7, gid: 7, home: '/' } });
  });

  it('keeps the primary group when the group part is empty', () => {
    expect(resolveUser(root, 'daemon:')).toEqual({ ok: true, value: { uid: 1, gid: 1, home: '/usr/sbin', name: 'daemon' } });
  });

  it('refuses an unknown user name with runc wording', () => {
    expect(resolveUser(root, 'nobody')).toEqual({
      ok: false,
      error: { code: 'ENOUSER', message: 'unable to find user nobody: no matching entries in passwd file' },
    });
    expect(resolveUser(bare, 'vic')).toEqual({
      ok: false,
      error: { code: 'ENOUSER', message: 'unable to find user vic: no matching entries in passwd file' },
    });
  });

  it('ignores passwd entries it cannot parse', () => {
    expect(resolveUser(root, 'broken').ok).toBe(false);
  });

  it('refuses an unknown group name with runc wording', () => {
    expect(resolveUser(root, 'vic:wheel')).toEqual({
      ok: false,
      error: { code: 'ENOGROUP', message: 'unable to find group wheel: no matching entries in group file' },
    });
    expect(resolveUser(bare, '1000:wheel')).toEqual({
      ok: false,
      error: { code: 'ENOGROUP', message: 'unable to find group wheel: no matching entries in group file' },
    });
  });

  it('refuses ids outside 0..2^31-1', () => {
    const error = { code: 'EINVAL', message: 'uids and gids must be in range 0-2147483647' };
    expect(resolveUser(root, '-1')).toEqual({ ok: false, error });
    expect(resolveUser(root, '0:2147483648')).toEqual({ ok: false, error });
  });
});
