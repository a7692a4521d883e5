/**
 * Writes the busybox image (Debian's busybox-static, one layer; built once per checkout and cached)
 * as a `docker save` archive tagged busybox:latest, for `docker load -i`: `tsx scripts/busybox-archive.ts OUT.tar`.
 */
import { buildBusyboxImage, writeDockerArchive } from '@vic/sample-images';

const out = process.argv[2];
if (!out) {
  console.error('usage: tsx scripts/busybox-archive.ts OUT.tar');
  process.exit(2);
}
await writeDockerArchive(await buildBusyboxImage(), 'busybox:latest', out);
console.log(`busybox:latest written to ${out}`);
