import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerVm } from '../apps/endpoint/src/portlayer/qemu/container-vm';
import { pullImage } from '../packages/imagec/src/pull/pull-image';
import { RegistryClient } from '../packages/imagec/src/registry/registry-client';
import type { ImageRecord } from '../packages/imagec/src/store/image-record';
import { ImageStore } from '../packages/imagec/src/store/image-store';
import { ensureBootstrapIso } from './support/bootstrap-iso';
import { readAll } from './support/container-vm';
import { publishTestImages, type PublishedImages } from './support/images';
import { startTestRegistries, type TestRegistries } from './support/registry';
import { writableLayerImage } from './support/test-rootfs';

/* A real container VM booted from an image pulled from a real registry into the real store. */

let work: string;
let registries: TestRegistries;
let images: PublishedImages;
let store: ImageStore;
let debian: ImageRecord;

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-image-vm-'));
  registries = await startTestRegistries();
  images = await publishTestImages(registries);
  store = await ImageStore.open(join(work, 'store'));
  const client = new RegistryClient({ insecureRegistries: ['127.0.0.0/8'] });
  try {
    const pulled = await pullImage(store, client, `${registries.anonymous.host}/${images.debian.repository}:${images.debian.tag}`);
    if (!pulled.ok) throw new Error(pulled.error.message);
    debian = store.get(pulled.value.id)!;
  } finally {
    client.close();
  }
}, 1_200_000);

afterAll(async () => {
  await registries?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('a container VM booted from a pulled image', () => {
  it('sees exactly the image\'s files, and its own writes never reach the layer store', async () => {
    const disks = store.layerDisks(debian);
    const before = disks.map((disk) => sha256File(disk.diskPath));
    const { iso } = await ensureBootstrapIso();
    const vmDir = mkdtempSync(join(work, 'vm-'));
    const expected = images.debian.image.expected;
    const checks = [
      'grep PRETTY_NAME /etc/os-release',
      ...expected.present.map((file) => `stat -c '%n %u:%g %a' ${file.path}`),
      ...expected.absent.map((path) => `test -e ${path} && echo "PRESENT ${path}" || echo "absent ${path}"`),
      'ls /opt/vic/replaced',
      'echo written-by-container > /root/written-by-container && sync && echo wrote',
    ].join('; ');
    const container = await startContainerVm({
      containerId: 'image-vm',
      iso,
      layers: disks.map((disk) => ({ path: disk.diskPath, fstype: disk.fstype })),
      writable: { path: writableLayerImage(vmDir), fstype: 'ext4' },
      config: { hostname: 'image-vm' },
      workDir: vmDir,
    });
    let output: string;
    try {
      const main = await container.client.startSession({ id: 'main', argv: ['/bin/sh', '-c', checks], env: [], openStdin: false, holdUntilAttached: false });
      output = await readAll(main.stdout);
    } finally {
      await container.stop();
    }
    expect(output).toContain(expected.prettyName);
    for (const file of expected.present) expect(output).toContain(`${file.path} ${file.uid}:${file.gid} ${file.mode.toString(8)}`);
    for (const path of expected.absent) expect(output).toContain(`absent ${path}`);
    expect(output).not.toContain('PRESENT');
    expect(output).toMatch(/^c$/m);
    expect(output).toContain('wrote');

    expect(disks.map((disk) => sha256File(disk.diskPath))).toEqual(before);
    for (const disk of disks) {
      const mountPoint = mkdtempSync(join(work, 'mnt-'));
      execFileSync('mount', ['-t', 'erofs', '-o', 'loop,ro', disk.diskPath, mountPoint]);
      try {
        expect(existsSync(join(mountPoint, 'root/written-by-container'))).toBe(false);
      } finally {
        execFileSync('umount', [mountPoint]);
      }
    }
  });
});
