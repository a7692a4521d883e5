import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PATH, findExecutable, resolveInRoot } from '../src/sessions/find-executable';

/**
 * A small image root:
 *   /bin/busybox (0755), /bin/sh -> busybox, /usr/bin/env -> /bin/busybox (absolute link),
 *   /usr/local/bin/tool (0755), /etc/passwd (0644), /etc (dir), /app/run.sh (0755),
 *   /opt/private (0700, owned by the test user), /loop -> /loop, /escape -> ../../../../bin/true.
 */
function makeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'vic-exec-'));
  const file = (path: string, mode: number) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), '#!/bin/sh\n');
    chmodSync(join(root, path), mode);
  };
  file('bin/busybox', 0o755);
  symlinkSync('busybox', join(root, 'bin/sh'));
  file('usr/local/bin/tool', 0o755);
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  symlinkSync('/bin/busybox', join(root, 'usr/bin/env'));
  file('etc/passwd', 0o644);
  file('app/run.sh', 0o755);
  file('opt/private', 0o700);
  symlinkSync('/loop', join(root, 'loop'));
  symlinkSync('../../../../../../bin/true', join(root, 'usr/bin/escape'));
  return root;
}

describe('findExecutable', () => {
  const root = makeRoot();
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('searches the default PATH when the environment has none', () => {
    expect(findExecutable(root, 'tool', undefined, '/')).toEqual({ ok: true, value: '/usr/local/bin/tool' });
    expect(DEFAULT_PATH).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  it('returns the path found in PATH, not the target of its symlink', () => {
    // busybox picks the applet from argv[0], so /bin/sh must stay /bin/sh
    expect(findExecutable(root, 'sh', '/bin', '/')).toEqual({ ok: true, value: '/bin/sh' });
  });

  it('resolves an absolute symlink target inside the root, not on the host', () => {
    expect(findExecutable(root, 'env', '/usr/bin', '/')).toEqual({ ok: true, value: '/usr/bin/env' });
    expect(resolveInRoot(root, '/usr/bin/env')).toBe(join(root, 'bin/busybox'));
  });

  it('keeps ".." in a symlink from climbing out of the root', () => {
    expect(resolveInRoot(root, '/usr/bin/escape')).toBe(join(root, 'bin/true'));
    expect(findExecutable(root, 'escape', '/usr/bin', '/')).toEqual({
      ok: false,
      error: { code: 'ENOENT', message: 'exec: "escape": executable file not found in $PATH' },
    });
  });

  it('reports a bare name missing from PATH with Docker wording', () => {
    expect(findExecutable(root, 'foo', '/usr/bin:/bin', '/')).toEqual({
      ok: false,
      error: { code: 'ENOENT', message: 'exec: "foo": executable file not found in $PATH' },
    });
  });

  it('finds nothing in an empty PATH', () => {
    expect(findExecutable(root, 'sh', '', '/').ok).toBe(false);
  });

  it('takes a name with a slash as a path, relative to the working directory', () => {
    expect(findExecutable(root, '/bin/sh', undefined, '/')).toEqual({ ok: true, value: '/bin/sh' });
    expect(findExecutable(root, './run.sh', undefined, '/app')).toEqual({ ok: true, value: '/app/run.sh' });
  });

  it('searches relative PATH entries from the working directory', () => {
    expect(findExecutable(root, 'run.sh', 'nothing-here::/bin', '/app')).toEqual({ ok: true, value: '/app/run.sh' });
  });

  it('reports a path that does not exist with the stat error', () => {
    expect(findExecutable(root, '/bin/foo', undefined, '/')).toEqual({
      ok: false,
      error: { code: 'ENOENT', message: 'exec: "/bin/foo": stat /bin/foo: no such file or directory' },
    });
    expect(findExecutable(root, '/etc/passwd/x', undefined, '/')).toEqual({
      ok: false,
      error: { code: 'ENOTDIR', message: 'exec: "/etc/passwd/x": stat /etc/passwd/x: not a directory' },
    });
  });

  it('refuses a file without execute permission', () => {
    expect(findExecutable(root, '/etc/passwd', undefined, '/')).toEqual({
      ok: false,
      error: { code: 'EACCES', message: 'exec: "/etc/passwd": permission denied' },
    });
  });

  it('refuses a directory the way current runc does', () => {
    expect(findExecutable(root, '/etc', undefined, '/')).toEqual({
      ok: false,
      error: { code: 'EISDIR', message: 'exec: "/etc": is a directory' },
    });
  });

  it('checks the execute bits for the user the process will run as', () => {
    const nobody = { uid: 65534, gid: 65534 };
    expect(findExecutable(root, '/opt/private', undefined, '/', nobody)).toEqual({
      ok: false,
      error: { code: 'EACCES', message: 'exec: "/opt/private": permission denied' },
    });
    expect(findExecutable(root, '/opt/private', undefined, '/').ok).toBe(true);
  });

  it('reports a symlink loop', () => {
    expect(findExecutable(root, '/loop', undefined, '/')).toEqual({
      ok: false,
      error: { code: 'ELOOP', message: 'exec: "/loop": stat /loop: too many levels of symbolic links' },
    });
  });

  it('works against the real root, as the tether calls it after chroot', () => {
    expect(findExecutable('/', 'sh', undefined, '/')).toEqual({ ok: true, value: expect.stringMatching(/\/sh$/) });
  });
});
