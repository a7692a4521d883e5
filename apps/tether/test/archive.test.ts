import { linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extract, pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { tempDirsPerTest } from '../../../test/support/temp-dirs';
import { packPath } from '../src/archive/pack-path';
import { unpackInto } from '../src/archive/unpack-into';

const tempDir = tempDirsPerTest();

/** Packs `path` as `rebaseAs` and unpacks the tar into a fresh directory, which it returns. */
async function roundTrip(path: string, rebaseAs: string): Promise<string> {
  const destination = tempDir('vic-unpack-');
  const tar = pack();
  const entries = extract();
  const unpacked = unpackInto(destination, entries, { noOverwriteDirNonDir: false });
  const packed = packPath(tar, path, rebaseAs);
  for await (const chunk of tar) entries.write(chunk);
  entries.end(undefined);
  await Promise.all([packed, unpacked]);
  return destination;
}

describe('container archives in the tether', () => {
  it('keep contents, modes, mtimes, symlinks and hard links through pack and unpack', async () => {
    const source = tempDir('vic-pack-');
    mkdirSync(join(source, 'd/sub'), { recursive: true });
    writeFileSync(join(source, 'd/file'), 'hello', { mode: 0o640 });
    writeFileSync(join(source, 'd/empty'), '');
    symlinkSync('/etc/passwd', join(source, 'd/link'));
    linkSync(join(source, 'd/file'), join(source, 'd/sub/hard'));

    const out = await roundTrip(join(source, 'd'), 'd');

    expect(readFileSync(join(out, 'd/file'), 'utf8')).toBe('hello');
    expect(readFileSync(join(out, 'd/sub/hard'), 'utf8')).toBe('hello');
    expect(lstatSync(join(out, 'd/sub/hard')).ino).toBe(lstatSync(join(out, 'd/file')).ino);
    expect(lstatSync(join(out, 'd/file')).mode & 0o7777).toBe(0o640);
    expect(readFileSync(join(out, 'd/empty'), 'utf8')).toBe('');
    expect(readlinkSync(join(out, 'd/link'))).toBe('/etc/passwd');
    expect(lstatSync(join(out, 'd/file')).mtimeMs).toBe(Math.floor(lstatSync(join(source, 'd/file')).mtimeMs / 1000) * 1000);
  });

  it('refuses an entry that climbs out of the extraction point', async () => {
    const destination = tempDir('vic-unpack-');
    const tar = pack();
    tar.entry({ name: '../escaped', size: 1 }, 'x');
    tar.finalize();
    const entries = extract();
    const unpacked = unpackInto(destination, entries, { noOverwriteDirNonDir: false });
    for await (const chunk of tar) entries.write(chunk);
    entries.end(undefined);
    await expect(unpacked).rejects.toThrow(/leads outside/);
  });
});
