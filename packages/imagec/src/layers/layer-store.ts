import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, statfs } from 'node:fs/promises';
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
/** Where layers unpack before mkfs when nothing else is said: memory, if the host has it mounted. */
const DEFAULT_SCRATCH = '/dev/shm';
/** Free space the scratch must have beyond the worst expected tree: gzip rarely inflates more than 8×. */
const SCRATCH_HEADROOM_BYTES = 256 * 1024 * 1024;
const INFLATION_ALLOWANCE = 8;

export interface LayerStoreOptions {
  /**
   * A tmpfs to unpack layers in before their disk is built; null for none. Unpacking thousands of
   * files is bound by the file system: measured here, 6.2 s on ext4 against 0.2 s on tmpfs for
   * the Debian base layer. Whatever fails there for the host's reasons (full, an xattr the tmpfs
   * cannot hold) is unpacked again in the store's own directory.
   */
  scratchDir?: string | null;
}

/**
 * Layer disks by diffID: each layer is unpacked and turned into its disk once, then shared by
 * every image and container that uses it. An import works in `tmp/` and appears under
 * `sha256/<hex>/` by one rename only when complete, so a failure or crash leaves no partial
 * layer, and `open` clears what it left in `tmp/`.
 */
export class LayerStore {
  private readonly layers = new Map<string, LayerInfo>();
  private readonly imports = new Map<string, Promise<Result<LayerInfo, LayerErrorCode>>>();

  private constructor(
    private readonly root: string,
    private readonly scratchDir: string | null,
  ) {}

  static async open(root: string, options: LayerStoreOptions = {}): Promise<LayerStore> {
    const store = new LayerStore(root, options.scratchDir === undefined ? DEFAULT_SCRATCH : options.scratchDir);
    await rm(store.tempDir, { recursive: true, force: true });
    await mkdir(store.tempDir, { recursive: true });
    await mkdir(store.layersDir, { recursive: true });
    if (store.scratchDir !== null) {
      const leftovers = await readdir(store.scratchDir).catch(() => []);
      for (const name of leftovers) if (name.startsWith(store.scratchPrefix)) await rm(join(store.scratchDir, name), { recursive: true, force: true });
    }
    for (const hex of await readdir(store.layersDir)) {
      const record = JSON.parse(await readFile(join(store.layersDir, hex, RECORD_FILE), 'utf8')) as LayerRecord;
      store.layers.set(record.diffId, { ...record, diskPath: join(store.layersDir, hex, DISK_FILE) });
    }
    return store;
  }

  /** Names this store's trees in a scratch dir other stores may share, so `open` clears only its own. */
  private get scratchPrefix(): string {
    return `vic-layer-${createHash('sha256').update(this.root).digest('hex').slice(0, 12)}-`;
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

  /** Where to try unpacking this blob: the scratch tmpfs when it has room, then the store itself. */
  private async unpackPlaces(blobPath: string): Promise<string[]> {
    const places: string[] = [];
    if (this.scratchDir !== null) {
      const space = await statfs(this.scratchDir).catch(() => null);
      const needed = (await stat(blobPath)).size * INFLATION_ALLOWANCE + SCRATCH_HEADROOM_BYTES;
      if (space !== null && space.bavail * space.bsize >= needed) places.push(this.scratchDir);
    }
    places.push(this.tempDir);
    return places;
  }

  /** Unpacks the blob under one of `places`, moving on to the next when the host fails (LAYER_IO). */
  private async unpackSomewhere(request: LayerImport, places: string[], onProgress: LayerProgress) {
    for (const [index, place] of places.entries()) {
      const tree = join(place, `${this.scratchPrefix}${randomBytes(6).toString('hex')}`);
      await mkdir(tree, { recursive: true });
      const source = await openLayerSource(request.blobPath, request.compression, onProgress);
      let unpacked;
      try {
        unpacked = await unpackLayer(source.tar, tree, request.diffId);
      } finally {
        source.close();
      }
      if (unpacked.ok || unpacked.error.code !== 'LAYER_IO' || index === places.length - 1) return { tree, unpacked, diffId: source.diffId() };
      await rm(tree, { recursive: true, force: true });
    }
    throw new Error('no place to unpack in');
  }

  private async build(request: LayerImport, onProgress: LayerProgress): Promise<Result<LayerInfo, LayerErrorCode>> {
    const digest = parseDigest(request.diffId);
    if (!digest.ok) return fail('LAYER_INVALID_DIFF_ID', `invalid layer diffID ${JSON.stringify(request.diffId)}: ${digest.error.message}`);
    const work = join(this.tempDir, `import-${randomBytes(6).toString('hex')}`);
    const finished = join(work, 'layer');
    let tree: string | undefined;
    try {
      await mkdir(finished, { recursive: true });
      const attempt = await this.unpackSomewhere(request, await this.unpackPlaces(request.blobPath), onProgress);
      tree = attempt.tree;
      if (!attempt.unpacked.ok) return attempt.unpacked;
      if (attempt.diffId !== request.diffId) {
        return fail('LAYER_DIGEST_MISMATCH', `layer content has digest ${attempt.diffId}, not the diffID ${request.diffId} the image config names`);
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
        contentBytes: attempt.unpacked.value.contentBytes,
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
      if (tree !== undefined) await rm(tree, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
    }
  }
}
