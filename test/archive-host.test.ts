import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { tempDirsPerTest } from './support/temp-dirs';
import { containerPath } from '../apps/endpoint/src/archive/container-path';
import { extractOnHost, tarOnHost } from '../apps/endpoint/src/archive/host-archive';
import { resolveInRoot } from '../apps/endpoint/src/archive/resolve-in-root';

/* The host side of docker cp on a stopped container: paths stay inside the container's root. */

const tempDirWithPrefix = tempDirsPerTest();
const tempDir = (): string => tempDirWithPrefix('vic-archive-host-');

/** A tar made by GNU tar from `files` (name -> content) under a fresh directory. */
function tarOf(files: Record<string, string>, links: Record<string, string> = {}): Buffer {
  const dir = tempDir();
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  for (const [name, target] of Object.entries(links)) symlinkSync(target, join(dir, name));
  return execFileSync('tar', ['-c', '-f', '-', '-C', dir, ...Object.keys(files), ...Object.keys(links)]);
}

describe('container paths on the host', () => {
  it('resolve absolute symlinks and .. inside the container root', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'etc'));
    symlinkSync('/etc', join(root, 'abs'));
    symlinkSync('../../../..', join(root, 'up'));
    expect(await resolveInRoot(root, '/abs/passwd', false)).toBe(join(root, 'etc/passwd'));
    expect(await resolveInRoot(root, '/up/etc', false)).toBe(join(root, 'etc'));
    expect(await resolveInRoot(root, '/../../etc', false)).toBe(join(root, 'etc'));
    expect(await resolveInRoot(root, '/abs', false)).toBe(join(root, 'abs'));
    expect(await resolveInRoot(root, '/abs', true)).toBe(join(root, 'etc'));
  });

  it('are named in the tar as dockerd names them', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'srv/d'), { recursive: true });
    writeFileSync(join(root, 'srv/d/f'), 'x');
    const names = async (raw: string, rebaseAs?: string) => {
      const target = containerPath(raw);
      const { tar, done } = await tarOnHost(root, target, rebaseAs ?? target.rebaseAs);
      const chunks: Buffer[] = [];
      for await (const chunk of tar) chunks.push(chunk as Buffer);
      await done;
      return execFileSync('tar', ['-t', '-f', '-'], { input: Buffer.concat(chunks), encoding: 'utf8' }).trim().split('\n');
    };
    expect(await names('/srv/d')).toEqual(['d/', 'd/f']);
    expect(await names('/srv/d/.')).toEqual(['./', './f']);
    expect(await names('/', '')).toEqual(['srv/', 'srv/d/', 'srv/d/f']);
  });
});

describe('extracting into a stopped container on the host', () => {
  it('writes the entries with their contents', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'tmp'));
    await extractOnHost(root, containerPath('/tmp'), Readable.from([tarOf({ 'a/b.txt': 'hello' })]), { noOverwriteDirNonDir: false });
    expect(readFileSync(join(root, 'tmp/a/b.txt'), 'utf8')).toBe('hello');
  });

  it('refuses an entry through a symlink in the container, which on the host would lead outside it', async () => {
    const root = tempDir();
    const outside = tempDir();
    symlinkSync(outside, join(root, 'escape'));
    const upload = extractOnHost(root, containerPath('/'), Readable.from([tarOf({ 'escape/owned': 'x' })]), { noOverwriteDirNonDir: false });
    await expect(upload).rejects.toThrow(/through the symbolic link escape/);
    expect(existsSync(join(outside, 'owned'))).toBe(false);
  });

  it('refuses an entry through a symlink the archive itself makes', async () => {
    const root = tempDir();
    const outside = tempDir();
    const tar = Buffer.concat([tarOf({}, { link: outside }).subarray(0, -1024), tarOf({ 'link/owned': 'x' })]);
    const upload = extractOnHost(root, containerPath('/'), Readable.from([tar]), { noOverwriteDirNonDir: false });
    await expect(upload).rejects.toThrow(/through the symbolic link link/);
    expect(existsSync(join(outside, 'owned'))).toBe(false);
  });
});
