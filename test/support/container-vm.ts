import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { startContainerVm, type ContainerVm } from '../../apps/endpoint/src/portlayer/qemu/container-vm';
import { ensureBootstrapIso } from './bootstrap-iso';
import { busyboxRootfsImage, writableLayerImage } from './test-rootfs';

/** Boots one container VM from the bootstrap ISO over the busybox test root, configured and ready. */
export async function bootBusyboxContainer(name: string): Promise<ContainerVm & { cleanup(): Promise<void> }> {
  const { iso } = await ensureBootstrapIso();
  const dir = mkdtempSync(join(tmpdir(), `vic-test-${name}-`));
  const container = await startContainerVm({
    containerId: name,
    iso,
    layers: [{ path: busyboxRootfsImage(), fstype: 'ext4' }],
    writable: { path: writableLayerImage(dir), fstype: 'ext4' },
    config: { hostname: name, dns: { servers: ['10.0.2.3'], search: [] } },
    workDir: dir,
  });
  return Object.assign(container, {
    async cleanup() {
      await container.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** Reads from a stream until `pattern` appears in what was read; bounded by `timeoutMs`. */
export function readUntil(stream: Readable, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        stream.off('data', onData);
        stream.pause(); // keep what follows for the next reader
        clearTimeout(timer);
        resolve(seen);
      }
    };
    const timer = setTimeout(() => {
      stream.off('data', onData);
      stream.pause();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms; read: ${JSON.stringify(seen.slice(-500))}`));
    }, timeoutMs);
    stream.on('data', onData);
    stream.resume(); // an earlier readUntil may have paused it
  });
}

export async function sha256Of(stream: Readable): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { digest: hash.digest('hex'), bytes };
}
