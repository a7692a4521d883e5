import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { exitCode } from '@vic/protocol';
import { fail, ok, type ImageStore, type Result } from '@vic/imagec';
import { startContainerVm, type ContainerVm } from '../portlayer/qemu/container-vm';
import { createWritableDisk } from '../portlayer/writable-disk';
import type { ContainerCreateConfig, ContainerRecord } from './container-record';
import { generateContainerName } from './container-names';
import type { ContainerStore } from './container-store';
import type { OutputSink } from './output-sink';

export type ContainerErrorCode = 'NO_SUCH_CONTAINER' | 'NO_SUCH_IMAGE' | 'NAME_IN_USE' | 'INVALID_CONFIG' | 'CONFLICT' | 'NOT_MODIFIED' | 'START_FAILED';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface RuntimeOptions {
  store: ContainerStore;
  images: ImageStore;
  /** The bootstrap ISO container VMs boot. */
  iso: string;
  /** Where each container's VM files and writable disk live. */
  workRoot: string;
}

interface Waiter {
  condition: WaitCondition;
  resolve: (exitCode: number) => void;
}

/** How long a container VM may take to power off after its main process exited and was released. */
const POWER_OFF_TIMEOUT_MS = 30_000;
const MIB = 1024 * 1024;
/** What dockerd's wait reports for a container whose start failed. */
const START_FAILED_EXIT_CODE = 128;
const validName = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Containers as VMs: create records the request, start boots the container's VM from its image's
 * layer disks and runs the main process (held until it is wired to every attached client, so no
 * output is lost), and the VM powers off when that process has exited and its output is read.
 */
export class ContainerRuntime {
  private readonly vms = new Map<string, ContainerVm>();
  private readonly attachments = new Map<string, OutputSink[]>();
  private readonly waiters = new Map<string, Waiter[]>();

  constructor(private readonly options: RuntimeOptions) {}

  async create(config: ContainerCreateConfig, requestedName: string | undefined): Promise<Result<ContainerRecord, ContainerErrorCode>> {
    const { store, images } = this.options;
    if (!config.Image) return fail('INVALID_CONFIG', 'No image was specified for the container');
    const found = images.find(config.Image);
    if (!found.ok) return fail('NO_SUCH_IMAGE', found.error.message);
    const image = found.value.record;
    if (requestedName !== undefined && requestedName !== '' && !validName.test(requestedName)) {
      return fail('INVALID_CONFIG', `Invalid container name (${requestedName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    const id = randomBytes(32).toString('hex');
    const name = requestedName ? requestedName.replace(/^\//, '') : generateContainerName((candidate) => store.find(candidate) !== undefined);
    const holder = store.all().find((record) => record.name === name);
    if (holder) {
      return fail('NAME_IN_USE', `Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const defaults = image.config.config ?? {};
    // Docker's rule: a given Entrypoint replaces the image's and drops its Cmd.
    const entrypoint = config.Entrypoint ?? defaults.Entrypoint ?? [];
    const cmd = config.Cmd ?? (config.Entrypoint ? [] : (defaults.Cmd ?? []));
    const argv = [...entrypoint, ...cmd];
    if (argv.length === 0) return fail('INVALID_CONFIG', 'no command specified');
    const record: ContainerRecord = {
      id,
      name,
      created: new Date().toISOString(),
      imageId: image.id,
      imageName: config.Image,
      config,
      path: argv[0]!,
      args: argv.slice(1),
      env: [...(defaults.Env ?? []), ...(config.Env ?? [])],
      state: { status: 'created', exitCode: 0 },
    };
    await store.put(record);
    return ok(record);
  }

  /** Registers a client for the container's output; attached before start, it sees every byte. */
  attach(id: string, sink: OutputSink): Result<void, ContainerErrorCode> {
    const record = this.options.store.find(id);
    if (!record) return fail('NO_SUCH_CONTAINER', `No such container: ${id}`);
    const sinks = this.attachments.get(record.id) ?? [];
    sinks.push(sink);
    this.attachments.set(record.id, sinks);
    if (record.state.status === 'exited') sink.end();
    return ok(undefined);
  }

  async start(input: string): Promise<Result<void, ContainerErrorCode>> {
    const { store, images } = this.options;
    const record = store.find(input);
    if (!record) return fail('NO_SUCH_CONTAINER', `No such container: ${input}`);
    if (record.state.status === 'running') return fail('NOT_MODIFIED', 'container already started');
    const image = images.get(record.imageId);
    if (!image) return fail('NO_SUCH_IMAGE', `No such image: ${record.imageName}`);
    const dir = this.vmDir(record.id);
    await mkdir(dir, { recursive: true });
    let vm: ContainerVm;
    try {
      const writable = await createWritableDisk(dir);
      const memory = record.config.HostConfig?.Memory;
      const nanoCpus = record.config.HostConfig?.NanoCpus;
      vm = await startContainerVm({
        containerId: record.id,
        iso: this.options.iso,
        layers: images.layerDisks(image).map((disk) => ({ path: disk.diskPath, fstype: disk.fstype })),
        writable: { path: writable, fstype: 'ext4' },
        config: { hostname: record.config.Hostname || record.id.slice(0, 12) },
        workDir: dir,
        ...(memory ? { memoryMiB: Math.max(64, Math.round(memory / MIB)) } : {}),
        ...(nanoCpus ? { cpus: Math.max(1, Math.round(nanoCpus / 1e9)) } : {}),
      });
    } catch (error) {
      return this.startFailed(record, error as Error);
    }
    this.vms.set(record.id, vm);
    try {
      const main = await vm.client.startSession({
        id: 'main',
        argv: [record.path, ...record.args],
        env: record.env,
        ...(record.config.WorkingDir ? { cwd: record.config.WorkingDir } : {}),
        ...(record.config.User ? { user: record.config.User } : {}),
        openStdin: false,
        holdUntilAttached: true,
      });
      const sinks = () => this.attachments.get(record.id) ?? [];
      main.stdout.on('data', (chunk: Buffer) => sinks().forEach((sink) => sink.write('stdout', chunk)));
      main.stderr.on('data', (chunk: Buffer) => sinks().forEach((sink) => sink.write('stderr', chunk)));
      await main.attach();
      await this.update(record.id, { status: 'running', exitCode: 0, startedAt: new Date().toISOString() });
      void main.finished().then(async (exit) => {
        const started = this.options.store.get(record.id)?.state.startedAt;
        await this.update(record.id, { status: 'exited', exitCode: exitCode(exit), ...(started ? { startedAt: started } : {}), finishedAt: new Date().toISOString() });
        for (const sink of sinks()) sink.end();
        this.attachments.delete(record.id);
        await main.release();
        await vm.vm.waitForExit(POWER_OFF_TIMEOUT_MS).catch(() => undefined); // stop() below kills what did not power off
        await vm.stop();
        this.vms.delete(record.id);
        this.notify(record.id, ['next-exit', 'not-running'], exitCode(exit));
        if (record.config.HostConfig?.AutoRemove) await this.remove(record.id, false);
      });
    } catch (error) {
      await vm.stop();
      this.vms.delete(record.id);
      return this.startFailed(record, error as Error);
    }
    return ok(undefined);
  }

  /** `POST /containers/{id}/wait`: the exit code once `condition` holds. */
  wait(input: string, condition: WaitCondition): Result<Promise<number>, ContainerErrorCode> {
    const record = this.options.store.find(input);
    if (!record) return fail('NO_SUCH_CONTAINER', `No such container: ${input}`);
    if (condition === 'not-running' && record.state.status !== 'running') return ok(Promise.resolve(record.state.exitCode));
    return ok(
      new Promise<number>((resolve) => {
        const waiters = this.waiters.get(record.id) ?? [];
        waiters.push({ condition, resolve });
        this.waiters.set(record.id, waiters);
      }),
    );
  }

  async remove(input: string, force: boolean): Promise<Result<void, ContainerErrorCode>> {
    const record = this.options.store.find(input);
    if (!record) return fail('NO_SUCH_CONTAINER', `No such container: ${input}`);
    if (record.state.status === 'running') {
      if (!force) {
        return fail('CONFLICT', `cannot remove container "/${record.name}": container is running: stop the container before removing or force remove`);
      }
      await this.vms.get(record.id)?.stop();
      this.vms.delete(record.id);
    }
    await this.options.store.remove(record.id);
    await rm(this.vmDir(record.id), { recursive: true, force: true });
    this.notify(record.id, ['removed', 'next-exit', 'not-running'], record.state.exitCode);
    this.waiters.delete(record.id);
    return ok(undefined);
  }

  /**
   * A start that failed ends like an exit, as in dockerd: attached clients and waiters are let go,
   * and an auto-remove container is removed, so `docker run --rm` reports the error instead of
   * waiting for a removal that would never come.
   */
  private async startFailed(record: ContainerRecord, error: Error): Promise<Result<never, ContainerErrorCode>> {
    const message = `failed to start container ${record.id}: ${error.message}`;
    await this.update(record.id, { ...record.state, error: message });
    for (const sink of this.attachments.get(record.id) ?? []) sink.end();
    this.attachments.delete(record.id);
    this.notify(record.id, ['next-exit'], START_FAILED_EXIT_CODE);
    if (record.config.HostConfig?.AutoRemove) await this.remove(record.id, false);
    return fail('START_FAILED', message);
  }

  /**
   * The directory of a container's VM files: named by the short ID, because QEMU's channel socket
   * lives there and a unix socket path may not exceed 108 bytes.
   */
  private vmDir(id: string): string {
    return join(this.options.workRoot, id.slice(0, 12));
  }

  private async update(id: string, state: ContainerRecord['state']): Promise<void> {
    const record = this.options.store.get(id);
    if (record) await this.options.store.put({ ...record, state });
  }

  private notify(id: string, conditions: WaitCondition[], code: number): void {
    const waiters = this.waiters.get(id) ?? [];
    const [done, left] = [waiters.filter((w) => conditions.includes(w.condition)), waiters.filter((w) => !conditions.includes(w.condition))];
    this.waiters.set(id, left);
    for (const waiter of done) waiter.resolve(code);
  }
}
