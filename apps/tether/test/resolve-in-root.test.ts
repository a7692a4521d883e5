import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInRoot } from '../src/container/resolve-in-root';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vic-root-'));
  mkdirSync(join(root, 'run'));
  mkdirSync(join(root, 'var'));
  symlinkSync('/run', join(root, 'var', 'run')); // absolute, as Debian images have it
  symlinkSync('../../../../etc', join(root, 'var', 'escape'));
  symlinkSync('loop', join(root, 'loop'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a volume target inside the container root', () => {
  it('follows an absolute symbolic link from the container root, not the guest\'s', () => {
    expect(resolveInRoot(root, '/var/run/app')).toBe(join(root, 'run', 'app'));
  });

  it('never climbs above the root, and keeps missing parts to be made', () => {
    expect(resolveInRoot(root, '/var/escape/passwd')).toBe(join(root, 'etc', 'passwd'));
    expect(resolveInRoot(root, '/new/deeper')).toBe(join(root, 'new', 'deeper'));
  });

  it('refuses a link loop', () => {
    expect(() => resolveInRoot(root, '/loop/x')).toThrow('too many symbolic links');
  });
});
