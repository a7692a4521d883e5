import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDigest } from '../digest';
import { fail, ok, type Result } from '../result';
import { syncDirectory, writeFileAtomic } from '../store/atomic-file';
import { buildLayerDisk, LAYER_FSTYPE } from './layer-disk';
import { openLayerSource, type LayerCompression, type LayerProgress } from './layer-source';
import { unpackLayer, type UnpackErrorCode } from './unpack-layer';

export type LayerErrorCode = UnpackErrorCode | 'LAYER_DIGEST_MISMATCH' | 'LAYER_INVALID_DIFF_ID' | 'LAYER_DISK_FAILED';

/** One layer as the store keeps it (`layer.json`), plus where its disk is. */
export interface LayerInfo {
  diffId: string;
  fstype: typeof LAYER_FSTYPE;
  /** Absolute path of the read-only disk a container VM mounts. */
  diskPath: string;
  diskBytes: number;
  /** Bytes of file content in the layer (what `docker images` sums as the size). */
  contentBytes: number;
  createdAt: string;
}

export interface LayerImport {
  diffId: string;
  blobPath: string;
  compression: LayerCompression;
}

type LayerRecord = Omit<LayerInfo, 'diskPath'>;

const DISK_FILE = `disk.${LAYER_FSTYPE}`;
const RECORD_FILE = 'layer.json';

/**
 * Layer disks by diffID: each layer is unpacked and turned into its disk once, then shared by
 * every image and container that uses it. An import works in `tmp/` and appears under
 * `sha256/<hex>/` by one rename only when complete, so a failure or crash leaves no partial
 * layer, and `open` clears what it left in `tmp/`.
 */
export class LayerStore {
  private readonly layers = new Map<string, LayerInfo>();
  private readonly imports = new Map<string, Promise<Result<LayerInfo, LayerErrorCode>>>();

  private constructor(private readonly root: string) {}

  static async open(root: string): Promise<LayerStore> {
    const store = new LayerStore(root);
    await rm(store.tempDir, { recursive: true, force: true });
    await mkdir(store.tempDir, { recursive: true });
    await mkdir(store.layersDir, { recursive: true });
    for (const hex of await readdir(store.layersDir)) {
      const record = JSON.parse(await readFile(join(store.layersDir, hex, RECORD_FILE), 'utf8')) as LayerRecord;
      store.layers.set(record.diffId, { ...record, diskPath: join(store.layersDir, hex, DISK_FILE) });
    }
    return store;
  }

  private get tempDir(): string {
    return join(this.root, 'tmp');
  }

  private get layersDir(): string {
    return join(this.root, 'sha256');
  }

  get(diffId: string): LayerInfo | undefined {
    return this.layers.get(diffId);
  }

  list(): LayerInfo[] {
    return [...this.layers.values()];
  }

  /** Bytes the layer disks take. */
  diskUsage(): number {
    return this.list().reduce((sum, layer) => sum + layer.diskBytes, 0);
  }

  /**
   * Turns a layer blob into its disk, checking that the uncompressed content hashes to `diffId`.
   * Returns the existing layer when there is one; concurrent imports of one layer share the work.
   */
  importLayer(request: LayerImport, onProgress: LayerProgress = () => {}): Promise<Result<LayerInfo, LayerErrorCode>> {
    const existing = this.layers.get(request.diffId);
    if (existing) return Promise.resolve(ok(existing));
    let running = this.imports.get(request.diffId);
    if (!running) {
      running = this.build(request, onProgress).finally(() => this.imports.delete(request.diffId));
      this.imports.set(request.diffId, running);
    }
    return running;
  }

  /** Deletes a layer's disk; the image store calls it once no image uses the layer. */
  async remove(diffId: string): Promise<void> {
    const layer = this.layers.get(diffId);
    if (!layer) return;
    const hex = parseDigest(diffId);
    if (!hex.ok) return;
    // One rename takes it out of the store; the slow delete happens where no reader looks.
    const doomed = join(this.tempDir, `removed-${randomBytes(6).toString('hex')}`);
    await rename(join(this.layersDir, hex.value.encoded), doomed);
    await syncDirectory(this.layersDir);
    this.layers.delete(diffId);
    await rm(doomed, { recursive: true, force: true });
  }

  private async build(request: LayerImport, onProgress: LayerProgress): Promise<Result<LayerInfo, LayerErrorCode>> {
    const digest = parseDigest(request.diffId);
    if (!digest.ok) return fail('LAYER_INVALID_DIFF_ID', `invalid layer diffID ${JSON.stringify(request.diffId)}: ${digest.error.message}`);
    const work = join(this.tempDir, `import-${randomBytes(6).toString('hex')}`);
    const tree = join(work, 'tree');
    const finished = join(work, 'layer');
    try {
      await mkdir(tree, { recursive: true });
      await mkdir(finished);
      const source = await openLayerSource(request.blobPath, request.compression, onProgress);
      let unpacked;
      try {
        unpacked = await unpackLayer(source.tar, tree, request.diffId);
      } finally {
        source.close();
      }
      if (!unpacked.ok) return unpacked;
      const actual = source.diffId();
      if (actual !== request.diffId) {
        return fail('LAYER_DIGEST_MISMATCH', `layer content has digest ${actual}, not the diffID ${request.diffId} the image config names`);
      }
      const diskPath = join(finished, DISK_FILE);
      try {
        await buildLayerDisk(tree, diskPath);
      } catch (error) {
        return fail('LAYER_DISK_FAILED', `building the disk of layer ${request.diffId}: ${(error as Error).message}`);
      }
      await rm(tree, { recursive: true, force: true });
      const record: LayerRecord = {
        diffId: request.diffId,
        fstype: LAYER_FSTYPE,
        diskBytes: (await stat(diskPath)).size,
        contentBytes: unpacked.value.contentBytes,
        createdAt: new Date().toISOString(),
      };
      await writeFileAtomic(join(finished, RECORD_FILE), JSON.stringify(record, null, 1));
      const target = join(this.layersDir, digest.value.encoded);
      await rename(finished, target);
      await syncDirectory(this.layersDir);
      const info: LayerInfo = { ...record, diskPath: join(target, DISK_FILE) };
      this.layers.set(request.diffId, info);
      return ok(info);
    } catch (error) {
      return fail('LAYER_IO', `importing layer ${request.diffId}: ${(error as Error).message}`);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}
