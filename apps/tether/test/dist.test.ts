import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DIST = resolve(__dirname, '../dist');
const built = existsSync(join(DIST, 'tether.cjs'));

/**
 * The bundle as the guest gets it: copied away from the repository, so nothing can be found in
 * the repository's node_modules by accident.
 */
describe.skipIf(!built)('dist (built by apps/tether/build.sh)', () => {
  let copy = '';
  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'vic-dist-'));
    cpSync(DIST, copy, { recursive: true });
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('resolves node-pty and both addons from beside tether.cjs and runs echo in a pty', async () => {
    const script = `
      const { createRequire } = require('node:module');
      const bundleRequire = createRequire(${JSON.stringify(join(copy, 'tether.cjs'))});
      const pty = bundleRequire('node-pty');
      const sys = bundleRequire('./vicsys.node');
      const terminal = pty.spawn('echo', ['hi'], { cols: 80, rows: 24 });
      let output = '';
      terminal.onData((data) => (output += data));
      terminal.onExit((exit) => console.log(JSON.stringify({
        ptyModule: bundleRequire.resolve('node-pty'),
        hasChroot: typeof sys.chroot === 'function',
        output,
        exit,
      })));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: copy, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({
      ptyModule: join(copy, 'node_modules/node-pty/lib/index.js'),
      hasChroot: true,
      output: 'hi\r\n',
      exit: { exitCode: 0, signal: 0 },
    });
  });

  it('ships no msgpackr native accelerator and no source maps', () => {
    expect(existsSync(join(copy, 'node_modules/msgpackr-extract'))).toBe(false);
    expect(existsSync(join(copy, 'tether.cjs.map'))).toBe(false);
  });
});
