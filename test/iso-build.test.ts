import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('iso-build', () => {
  it('gives byte-identical ISOs from two builds of the same inputs', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'vic-iso-a-')), mkdtempSync(join(tmpdir(), 'vic-iso-b-'))];
    try {
      for (const dir of dirs) await run('bash', ['iso-build/build.sh', '--out', dir, '--force'], { timeout: 600_000 });
      const [a, b] = dirs.map((dir) => sha256(join(dir, 'bootstrap.iso')));
      expect(a).toMatch(/^[0-9a-f]{64}$/);
      expect(b).toBe(a);
      expect(sha256(join(dirs[1]!, 'floor-initrd.img'))).toBe(sha256(join(dirs[0]!, 'floor-initrd.img')));
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  }, 1_200_000);
});
