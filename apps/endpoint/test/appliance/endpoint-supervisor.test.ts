import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/*
 * The appliance's supervisor with a real child: an "endpoint" script that prints its arguments and
 * exits 3. The supervisor never returns, so it runs in a process of its own, which the test kills.
 */

const SUPERVISOR = fileURLToPath(new URL('../../src/appliance/endpoint-supervisor.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../../../node_modules/.bin/tsx', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'vic-appliance-supervisor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the appliance supervising the endpoint', () => {
  it('starts it with the given arguments, its output on the console, and again after each exit with a growing backoff', async () => {
    const endpoint = join(work, 'endpoint.mjs');
    writeFileSync(endpoint, "console.log(`endpoint ran with ${process.argv.slice(2).join(' ')}`); process.exit(3);\n");
    const runner = join(work, 'run.mts');
    writeFileSync(runner, `import { superviseEndpoint } from ${JSON.stringify(SUPERVISOR)};\nawait superviseEndpoint(${JSON.stringify(endpoint)}, ['--name', 'vch']);\n`);
    const child = spawn(TSX, [runner], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const restartedTwice = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no second restart within 30 s:\n${output}`)), 30_000);
      const check = () => {
        if (output.includes('restarting it in 2 s')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.once('exit', (code) => reject(new Error(`the supervisor exited (${code}):\n${output}`)));
    });
    try {
      await restartedTwice;
    } finally {
      child.kill('SIGKILL');
    }
    const lines = output.split('\n').filter(Boolean);
    expect(lines.slice(0, 6)).toEqual([
      'vic-appliance: starting the endpoint: --name vch',
      'endpoint ran with --name vch',
      'vic-appliance: error: the endpoint exited with code 3; restarting it in 1 s',
      'vic-appliance: starting the endpoint: --name vch',
      'endpoint ran with --name vch',
      'vic-appliance: error: the endpoint exited with code 3; restarting it in 2 s',
    ]);
  }, 60_000);
});
