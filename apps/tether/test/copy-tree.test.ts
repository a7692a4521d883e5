import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirsPerTest } from '../../../test/support/temp-dirs';
import { copyMetadata, copyTree } from '../src/container/copy-tree';

const tempDir = tempDirsPerTest();

describe('copying image content into an empty volume', () => {
  it('keeps contents, owners, modes, times and symbolic links, the directory itself included', () => {
    const image = tempDir('vic-image-');
    mkdirSync(join(image, 'sub'));
    writeFileSync(join(image, 'sub', 'file'), 'content\n');
    chownSync(join(image, 'sub', 'file'), 1000, 1001);
    chmodSync(join(image, 'sub', 'file'), 0o640);
    chmodSync(join(image, 'sub'), 0o2750);
    symlinkSync('sub/file', join(image, 'link'));
    utimesSync(join(image, 'sub', 'file'), new Date(1_000_000_000_000), new Date(1_000_000_000_000));
    chownSync(image, 1000, 1000);
    chmodSync(image, 0o700);

    const volume = tempDir('vic-volume-');
    copyTree(image, volume);
    copyMetadata(lstatSync(image), volume);

    expect(readFileSync(join(volume, 'sub', 'file'), 'utf8')).toBe('content\n');
    const file = lstatSync(join(volume, 'sub', 'file'));
    expect([file.uid, file.gid, file.mode & 0o7777, file.mtimeMs]).toEqual([1000, 1001, 0o640, 1_000_000_000_000]);
    expect(lstatSync(join(volume, 'sub')).mode & 0o7777).toBe(0o2750);
    expect(readlinkSync(join(volume, 'link'))).toBe('sub/file');
    const root = lstatSync(volume);
    expect([root.uid, root.gid, root.mode & 0o7777]).toEqual([1000, 1000, 0o700]);
  });
});
