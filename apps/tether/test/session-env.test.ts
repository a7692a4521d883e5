import { describe, expect, it } from 'vitest';
import { buildSessionEnv } from '../src/sessions/session-env';

const base = { home: '/home/vic', hostname: 'web1', tty: false };

describe('buildSessionEnv', () => {
  it('starts from Docker defaults and adds HOME from the user', () => {
    expect(buildSessionEnv({ ...base, env: [] })).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOSTNAME=web1',
      'HOME=/home/vic',
    ]);
  });

  it('sets TERM=xterm only with a tty', () => {
    expect(buildSessionEnv({ ...base, env: [], tty: true })).toContain('TERM=xterm');
    expect(buildSessionEnv({ ...base, env: [] }).some((e) => e.startsWith('TERM='))).toBe(false);
  });

  it("lets the session's values win, replacing defaults in place", () => {
    const env = buildSessionEnv({
      ...base,
      tty: true,
      env: ['PATH=/app/bin', 'TERM=vt100', 'HOME=/data', 'HOSTNAME=custom', 'GREETING=hi there'],
    });
    expect(env).toEqual(['PATH=/app/bin', 'HOSTNAME=custom', 'TERM=vt100', 'HOME=/data', 'GREETING=hi there']);
  });

  it('keeps the last of repeated keys, and values containing "="', () => {
    expect(buildSessionEnv({ ...base, env: ['A=1', 'B=x=y', 'A=2'] })).toEqual(
      expect.arrayContaining(['A=2', 'B=x=y']),
    );
    expect(buildSessionEnv({ ...base, env: ['A=1', 'A=2'] }).filter((e) => e.startsWith('A='))).toEqual(['A=2']);
  });

  it('unsets a default named without "=", and drops entries without a name', () => {
    const env = buildSessionEnv({ ...base, env: ['HOSTNAME', '=orphan', 'EMPTY='] });
    expect(env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'EMPTY=', 'HOME=/home/vic']);
  });
});
