import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fail, ok, type ImageRecord, type ImageStore, type Result } from '@vic/imagec';
import type { EventLog } from '../events/event-log';
import { ContainerLogWriter } from '../logs/container-log';
import type { ContainerNetworking } from '../networks/container-networking';
import type { ContainerNetworkState } from '../networks/network-record';
import type { ContainerVmHandle, FilesystemAccess, LayerDisk, PortLayer, SessionAdopter } from '../portlayer/port-layer';
import type { Attachment } from './attachment';
import type { ContainerCreateConfig, ContainerRecord, ContainerState } from './container-record';
import { generateContainerName } from './container-names';
import type { ContainerStore } from './container-store';
import { RunningContainer } from './running-container';
import { normalizeSignal, signalNumber } from './signals';
import { ttySize } from './tty-size';
import { vmSizeOf } from './vm-size';
import type { ContainerVolumes } from '../volumes/container-volumes';

export type ContainerErrorCode = 'NO_SUCH_CONTAINER' | 'NO_SUCH_IMAGE' | 'NO_SUCH_VOLUME' | 'NO_SUCH_NETWORK' | 'NAME_IN_USE' | 'INVALID_CONFIG' | 'CONFLICT' | 'NOT_MODIFIED' | 'START_FAILED';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface RuntimeOptions {
  store: ContainerStore;
  images: ImageStore;
  portLayer: PortLayer;
  events: EventLog;
  /** Where container logs are kept (`<id>.log`). */
  logDir: string;
  networking: ContainerNetworking;
  /** Volumes and bind mounts. */
  volumes: ContainerVolumes;
  /** How to carry a process other than the main one (an exec) in a VM taken over after a restart. */
  adoptExecSession?: SessionAdopter;
}

interface Waiter {
  condition: WaitCondition;
  resolve: (exitCode: number) => void;
}

/** How long a container VM may take to power off after its main process exited and was released. */
const POWER_OFF_TIMEOUT_MS = 30_000;
/** After SIGKILL, how long the process may take to go before the VM is powered off under it. */
const KILL_GRACE_MS = 10_000;
/** dockerd's default stop timeout, in seconds. */
const DEFAULT_STOP_TIMEOUT_S = 10;
/** What dockerd's wait reports for a container whose start failed. */
const START_FAILED_EXIT_CODE = 128;
/** The tether session that runs the container's main process. */
const MAIN_SESSION = 'main';
const validName = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function timeout(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}

/**
 * Containers as VMs: create records the request, start powers on the container's VM from its
 * image's layer disks and runs the main process (held until it is wired to every attached client
 * and the log, so no output is lost), and the VM powers off when that process has exited and its
 * output is read. Stop, kill, pause and restart act on the VM through the port layer.
 */
export class ContainerRuntime {
  private readonly running = new Map<string, RunningContainer>();
  /** Clients attached before the container started; they join it when it does. */
  private readonly earlyAttachments = new Map<string, Attachment[]>();
  private readonly waiters = new Map<string, Waiter[]>();
  /** Settles when the container's exit has been fully recorded. */
  private readonly exitRecorded = new Map<string, Promise<void>>();
  /** Containers between `start` being asked and their process running. */
  private readonly starting = new Set<string>();
  /** The last use of a stopped container's file system on the host; start and remove wait for it. */
  private readonly hostFilesystemUse = new Map<string, Promise<unknown>>();
  /** Containers whose file system (volumes included) is mounted on the host, or waiting to be. */
  private readonly onHost = new Map<string, number>();
  /** The endpoint let go of its VMs (see release). */
  private releasedVms = false;

  private constructor(private readonly options: RuntimeOptions) {}

  /**
   * Opens the runtime over the stored containers. A container recorded as running whose VM
   * outlived the previous endpoint is taken over, its output log carried on where it stopped; one
   * whose VM is gone is recorded as exited, as dockerd does after a crash.
   */
  static async open(options: RuntimeOptions): Promise<ContainerRuntime> {
    mkdirSync(options.logDir, { recursive: true });
    const runtime = new ContainerRuntime(options);
    for (const record of options.store.all()) {
      if (record.state.status !== 'running' && record.state.status !== 'paused') continue;
      const adopted = await runtime.adopt(record);
      if (adopted.ok) {
        options.networking.restore(record);
        continue;
      }
      await runtime.update(record.id, { ...record.state, status: 'exited', exitCode: 255, pid: undefined, network: undefined, finishedAt: new Date().toISOString(), error: adopted.error.message });
    }
    return runtime;
  }

  /** Takes over a running container's VM after an endpoint restart. */
  private async adopt(record: ContainerRecord): Promise<Result<void, ContainerErrorCode>> {
    const gone = fail('START_FAILED', 'the endpoint restarted while the container ran, and its VM did not survive');
    const adoptSession: SessionAdopter = (status) =>
      status.id === MAIN_SESSION ? { tty: record.config.Tty === true, openStdin: record.config.OpenStdin === true } : (this.options.adoptExecSession?.(status) ?? null);
    let adopted: ContainerVmHandle | null;
    try {
      adopted = await this.options.portLayer.adopt(record.id, adoptSession);
    } catch (error) {
      return fail('START_FAILED', (error as Error).message);
    }
    if (!adopted) return gone;
    const main = adopted.client.adoptedSession(MAIN_SESSION);
    if (!main) {
      await adopted.powerOff();
      return gone;
    }
    const running = new RunningContainer(adopted, main, new ContainerLogWriter(this.logPath(record.id)), record.config.StdinOnce === true);
    running.paused = record.state.status === 'paused';
    this.running.set(record.id, running);
    this.exitRecorded.set(record.id, this.recordExit(record.id, running));
    return ok(undefined);
  }

  /** The VMs were handed over to a successor endpoint: nothing about them is to be recorded here. */
  get released(): boolean {
    return this.releasedVms;
  }

  get images(): ImageStore {
    return this.options.images;
  }

  logPath(id: string): string {
    return join(this.options.logDir, `${id}.log`);
  }

  /** The live log of a running container, for `logs --follow`. */
  liveLog(id: string): ContainerLogWriter | undefined {
    return this.running.get(id)?.log;
  }

  /** The running container behind an ID, for exec, stats and resize. */
  runningContainer(id: string): RunningContainer | undefined {
    return this.running.get(id);
  }

  find(input: string): Result<ContainerRecord, ContainerErrorCode> {
    const record = this.options.store.find(input);
    return record ? ok(record) : fail('NO_SUCH_CONTAINER', `No such container: ${input}`);
  }

  /** Records a new container; the warnings say how its VM will differ from what was asked. */
  async create(config: ContainerCreateConfig, requestedName: string | undefined): Promise<Result<{ record: ContainerRecord; warnings: string[] }, ContainerErrorCode>> {
    const { store, images } = this.options;
    if (!config.Image) return fail('INVALID_CONFIG', 'No image was specified for the container');
    const found = images.find(config.Image);
    if (!found.ok) return fail('NO_SUCH_IMAGE', found.error.message);
    const image = found.value.record;
    const named = this.checkName(requestedName ?? '');
    if (!named.ok) return named;
    const name = named.value || generateContainerName((candidate) => store.find(candidate) !== undefined);
    const defaults = image.config.config ?? {};
    // Docker's rule: a given Entrypoint replaces the image's and drops its Cmd.
    const entrypoint = config.Entrypoint ?? defaults.Entrypoint ?? [];
    const cmd = config.Cmd ?? (config.Entrypoint ? [] : (defaults.Cmd ?? []));
    const argv = [...entrypoint, ...cmd];
    if (argv.length === 0) return fail('INVALID_CONFIG', 'no command specified');
    if (config.StopSignal && !normalizeSignal(config.StopSignal)) return fail('INVALID_CONFIG', `Invalid signal: ${config.StopSignal}`);
    // Networks first: a refused network must not leave anonymous volumes behind.
    const networks = this.options.networking.check(config);
    if (!networks.ok) return fail(networks.error.code === 'NO_SUCH_NETWORK' ? 'NO_SUCH_NETWORK' : 'INVALID_CONFIG', networks.error.message);
    const mounts = await this.options.volumes.provide(config, defaults.Volumes, (reference) => store.find(reference));
    if (!mounts.ok) return fail(mounts.error.code === 'NO_SUCH_VOLUME' ? 'NO_SUCH_VOLUME' : 'INVALID_CONFIG', mounts.error.message);
    const record: ContainerRecord = {
      id: randomBytes(32).toString('hex'),
      name,
      created: new Date().toISOString(),
      imageId: image.id,
      imageName: config.Image,
      config: { ...config, WorkingDir: config.WorkingDir || defaults.WorkingDir || '', User: config.User || defaults.User || '' },
      path: argv[0]!,
      args: argv.slice(1),
      env: [...(defaults.Env ?? []), ...(config.Env ?? [])],
      labels: { ...(defaults.Labels ?? {}), ...(config.Labels ?? {}) },
      state: { status: 'created', exitCode: 0 },
      restartCount: 0,
      ...(mounts.value.length > 0 ? { mounts: mounts.value } : {}),
    };
    await store.put(record);
    this.emit(record, 'create');
    return ok({ record, warnings: vmSizeOf(config.HostConfig).warnings });
  }

  /** Registers a client for the container's streams; attached before start it sees every byte. */
  attach(id: string, attachment: Attachment): Result<void, ContainerErrorCode> {
    const found = this.find(id);
    if (!found.ok) return found;
    const running = this.running.get(found.value.id);
    if (!running?.attach(attachment)) {
      // As in dockerd, a client attached to a stopped container waits for its next start (`docker start -a`).
      const early = this.earlyAttachments.get(found.value.id) ?? [];
      early.push(attachment);
      this.earlyAttachments.set(found.value.id, early);
    }
    return ok(undefined);
  }

  async start(input: string): Promise<Result<void, ContainerErrorCode>> {
    const found = this.find(input);
    if (!found.ok) return found;
    const record = found.value;
    if (record.state.status === 'running' || record.state.status === 'paused') return fail('NOT_MODIFIED', 'container already started');
    this.starting.add(record.id);
    try {
      return await this.startStopped(record);
    } finally {
      this.starting.delete(record.id);
    }
  }

  /**
   * Runs `use` on the file system of a container whose VM is off (`docker cp`, `export`), one use
   * at a time; its start waits until the use is over. Refused while the container starts or runs:
   * then its tether is the one to ask.
   */
  withStoppedFilesystem<T>(record: ContainerRecord, use: (root: string) => Promise<T>, access: FilesystemAccess = 'write'): Result<Promise<T>, ContainerErrorCode> {
    if (this.starting.has(record.id)) return fail('CONFLICT', `Container ${record.id} is starting; try again once it has started`);
    if (this.running.has(record.id)) return fail('CONFLICT', `Container ${record.id} is running`);
    const image = this.options.images.get(record.imageId);
    if (!image) return fail('NO_SUCH_IMAGE', `No such image: ${record.imageName}`);
    const layers = this.layerDisks(image);
    const shared = this.options.volumes.sharedWithLive(record, this.liveRecords());
    if (shared) return fail('CONFLICT', shared);
    const mounts = this.options.volumes.vmMounts(record);
    if (!mounts.ok) return fail('NO_SUCH_VOLUME', mounts.error.message);
    const previous = this.hostFilesystemUse.get(record.id) ?? Promise.resolve();
    this.onHost.set(record.id, (this.onHost.get(record.id) ?? 0) + 1);
    const current = previous.then(() => this.options.portLayer.withContainerFilesystem(record.id, layers, use, mounts.value, access));
    const over = current.catch(() => undefined);
    void over.then(() => {
      const left = this.onHost.get(record.id)! - 1;
      if (left === 0) this.onHost.delete(record.id);
      else this.onHost.set(record.id, left);
    });
    // Later users wait for this one to be over, not for it to succeed.
    this.hostFilesystemUse.set(record.id, over);
    return ok(current);
  }

  /** Containers whose volume disks are attached somewhere: VMs running or starting, file systems mounted on the host. */
  private liveRecords(): ContainerRecord[] {
    return [...new Set([...this.running.keys(), ...this.starting, ...this.onHost.keys()])].flatMap((id) => this.options.store.get(id) ?? []);
  }

  private layerDisks(image: ImageRecord): LayerDisk[] {
    return this.options.images.layerDisks(image).map((disk) => ({ path: disk.diskPath, fstype: disk.fstype }));
  }

  private async startStopped(record: ContainerRecord): Promise<Result<void, ContainerErrorCode>> {
    await this.hostFilesystemUse.get(record.id); // its disk is mounted on the host until then
    await this.exitRecorded.get(record.id); // a restart right after an exit waits for the exit to be written down
    const image = this.options.images.get(record.imageId);
    if (!image) return fail('NO_SUCH_IMAGE', `No such image: ${record.imageName}`);
    const { memoryMiB, cpus } = vmSizeOf(record.config.HostConfig);
    const shared = this.options.volumes.sharedWithLive(record, this.liveRecords());
    if (shared) return this.startFailed(record, new Error(shared));
    const mounts = this.options.volumes.vmMounts(record);
    if (!mounts.ok) return this.startFailed(record, new Error(mounts.error.message));
    const network = await this.options.networking.attach(record, image.config.config?.ExposedPorts);
    if (!network.ok) return this.startFailed(record, new Error(network.error.message));
    const { segments, outbound, interfaces, extraHosts, dns, embeddedDns } = network.value;
    let running: RunningContainer | undefined;
    const log = new ContainerLogWriter(this.logPath(record.id));
    try {
      const vm = await this.options.portLayer.powerOn({
        containerId: record.id,
        layers: this.layerDisks(image),
        config: { hostname: record.config.Hostname || record.id.slice(0, 12), networks: interfaces, extraHosts, dns, ...(embeddedDns ? { embeddedDns } : {}) },
        segments,
        ...(outbound ? { outbound } : {}),
        ...(memoryMiB ? { memoryMiB } : {}),
        ...(cpus ? { cpus } : {}),
        ...(mounts.value.length > 0 ? { mounts: mounts.value } : {}),
      });
      try {
        const main = await vm.client.startSession({
          id: MAIN_SESSION,
          argv: [record.path, ...record.args],
          env: record.env,
          ...(record.config.WorkingDir ? { cwd: record.config.WorkingDir } : {}),
          ...(record.config.User ? { user: record.config.User } : {}),
          ...(record.config.Tty ? { tty: ttySize(record.config.HostConfig?.ConsoleSize) } : {}),
          openStdin: record.config.OpenStdin === true,
          holdUntilAttached: true,
        });
        running = new RunningContainer(vm, main, log, record.config.StdinOnce === true);
        for (const attachment of this.earlyAttachments.get(record.id) ?? []) running.attach(attachment);
        this.earlyAttachments.delete(record.id);
        await main.attach();
        this.running.set(record.id, running);
        await this.update(record.id, { status: 'running', exitCode: 0, startedAt: new Date().toISOString(), ...(main.status.pid ? { pid: main.status.pid } : {}), network: network.value.state });
      } catch (error) {
        // Clients already handed to the process (it failed to start) are ended with the others.
        this.earlyAttachments.set(record.id, [...(this.earlyAttachments.get(record.id) ?? []), ...(running?.detachAll() ?? [])]);
        await vm.powerOff();
        throw error;
      }
    } catch (error) {
      log.close();
      this.options.networking.release(record.id);
      return this.startFailed(record, error as Error);
    }
    this.options.volumes.announce(record, 'mount');
    this.emit(record, 'start');
    await this.refreshPeerHosts(record.id, network.value.state);
    this.exitRecorded.set(record.id, this.recordExit(record.id, running!));
    return ok(undefined);
  }

  /** `docker stop`: the stop signal, then SIGKILL after the timeout, then the VM is powered off. */
  async stop(input: string, options: { signal?: string; timeoutSeconds?: number }): Promise<Result<void, ContainerErrorCode>> {
    const found = this.find(input);
    if (!found.ok) return found;
    const record = found.value;
    const running = this.running.get(record.id);
    if (!running) return fail('NOT_MODIFIED', 'container already stopped');
    const signal = normalizeSignal(options.signal ?? record.config.StopSignal ?? 'SIGTERM');
    if (!signal) return fail('INVALID_CONFIG', `Invalid signal: ${options.signal}`);
    const seconds = options.timeoutSeconds ?? record.config.StopTimeout ?? DEFAULT_STOP_TIMEOUT_S;
    await this.signal(record, running, signal);
    if ((await Promise.race([running.exited, timeout(seconds < 0 ? 2 ** 31 - 1 : seconds * 1000)])) === 'timeout') {
      await this.signal(record, running, 'SIGKILL');
      if ((await Promise.race([running.exited, timeout(KILL_GRACE_MS)])) === 'timeout') await running.vm.powerOff();
    }
    await this.exitRecorded.get(record.id);
    this.emit(record, 'stop');
    return ok(undefined);
  }

  /** `docker kill`: any signal to the main process. */
  async kill(input: string, signalName: string | undefined): Promise<Result<void, ContainerErrorCode>> {
    const found = this.find(input);
    if (!found.ok) return found;
    const record = found.value;
    const signal = normalizeSignal(signalName || 'SIGKILL');
    if (!signal) return fail('INVALID_CONFIG', `Invalid signal: ${signalName}`);
    const running = this.running.get(record.id);
    if (!running) return fail('CONFLICT', `Cannot kill container: ${input}: Container ${record.id} is not running`);
    await this.signal(record, running, signal);
    // dockerd returns from a SIGKILL once the container is gone.
    if (signal === 'SIGKILL') await this.exitRecorded.get(record.id);
    return ok(undefined);
  }

  async restart(input: string, options: { signal?: string; timeoutSeconds?: number }): Promise<Result<void, ContainerErrorCode>> {
    const found = this.find(input);
    if (!found.ok) return found;
    const stopped = await this.stop(input, options);
    if (!stopped.ok && stopped.error.code !== 'NOT_MODIFIED') return stopped;
    const started = await this.start(found.value.id);
    if (!started.ok) return started;
    const record = this.options.store.get(found.value.id)!;
    await this.options.store.put({ ...record, restartCount: record.restartCount + 1 });
    this.emit(record, 'restart');
    return ok(undefined);
  }

  /** Freezes the container's processes where they are (the guest's cgroup freezer); its tether keeps serving top, cp and stats. */
  async pause(input: string): Promise<Result<void, ContainerErrorCode>> {
    const found = this.find(input);
    if (!found.ok) return found;
    const record = found.value;
    const running = this.running.get(record.id);
    if (!running) return fail('CONFLICT', `Container ${record.id} is not running`);
    if (running.paused) return fail('CONFLICT', `Container ${record.id} is already paused`);
    await running.vm.client.pause();
    running.paused = true;
    await this.update(record.id, { ...record.state, status: 'paused' });
    this.emit(record, 'pause');
    return ok(undefined);
  }

  async unpause(input: string): Promise<Result<void, ContainerErrorCode>> {
    const found = this.find(input);
    if (!found.ok) return found;
    const record = found.value;
    const running = this.running.get(record.id);
    if (!running?.paused) return fail('CONFLICT', `Container ${record.id} is not paused`);
    await running.vm.client.unpause();
    running.paused = false;
    await this.update(record.id, { ...record.state, status: 'running' });
    this.emit(record, 'unpause');
    return ok(undefined);
  }

  async rename(input: string, newName: string): Promise<Result<void, ContainerErrorCode>> {
    const found = this.find(input);
    if (!found.ok) return found;
    const record = found.value;
    if (!newName) return fail('INVALID_CONFIG', 'Neither old nor new names may be empty');
    const named = this.checkName(newName, record.id);
    if (!named.ok) return named;
    if (named.value === record.name) return fail('INVALID_CONFIG', `Renaming a container with the same name as its current name`);
    await this.options.store.put({ ...record, name: named.value });
    this.emit({ ...record, name: named.value }, 'rename', { oldName: `/${record.name}` });
    return ok(undefined);
  }

  /** `POST /containers/{id}/wait`: the exit code once `condition` holds. */
  wait(input: string, condition: WaitCondition): Result<Promise<number>, ContainerErrorCode> {
    const found = this.find(input);
    if (!found.ok) return found;
    const record = found.value;
    if (condition === 'not-running' && !this.running.has(record.id)) return ok(Promise.resolve(record.state.exitCode));
    return ok(
      new Promise<number>((resolve) => {
        const waiters = this.waiters.get(record.id) ?? [];
        waiters.push({ condition, resolve });
        this.waiters.set(record.id, waiters);
      }),
    );
  }

  /** `removeVolumes` (`rm -v`) also removes the container's anonymous volumes. */
  async remove(input: string, force: boolean, removeVolumes = false): Promise<Result<void, ContainerErrorCode>> {
    const found = this.find(input);
    if (!found.ok) return found;
    const record = found.value;
    const { status } = record.state;
    if (status === 'running' || status === 'paused') {
      if (!force) return fail('CONFLICT', `cannot remove container "/${record.name}": container is ${status}: stop the container before removing or force remove`);
      await this.running.get(record.id)?.vm.powerOff();
    }
    await this.exitRecorded.get(record.id); // an exit being written down (its VM powering off) finishes first
    await this.hostFilesystemUse.get(record.id); // and a copy in or out of its disk
    this.hostFilesystemUse.delete(record.id);
    if (!this.options.store.get(record.id)) return ok(undefined); // an auto-remove got there first
    await this.options.store.remove(record.id);
    this.endEarlyAttachments(record.id);
    await this.options.portLayer.removeContainer(record.id);
    await rm(this.logPath(record.id), { force: true });
    if (removeVolumes) await this.options.volumes.removeAnonymous(record);
    this.emit(record, 'destroy');
    this.notify(record.id, ['removed', 'next-exit', 'not-running'], record.state.exitCode);
    this.waiters.delete(record.id);
    return ok(undefined);
  }

  /**
   * Lets go of every container VM without stopping it: the endpoint is leaving, and the next one
   * over the same state takes the VMs over. Nothing about them is recorded from here on.
   */
  release(): void {
    this.releasedVms = true;
    this.options.portLayer.releaseAll();
    for (const running of this.running.values()) running.log.close();
    this.running.clear();
  }

  /** Powers off every container VM, recording each as exited: the endpoint is shutting down. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.running.values()].map((running) => running.vm.powerOff()));
    await Promise.all([...this.exitRecorded.values()]);
  }

  /** A name for a container, or '' to have one generated; `self` may keep its own name. */
  private checkName(requested: string, self?: string): Result<string, ContainerErrorCode> {
    if (requested === '') return ok('');
    if (!validName.test(requested)) return fail('INVALID_CONFIG', `Invalid container name (${requested}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const name = requested.replace(/^\//, '');
    const holder = this.options.store.all().find((record) => record.name === name);
    if (holder && holder.id !== self) {
      return fail('NAME_IN_USE', `Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    return ok(name);
  }

  private async signal(record: ContainerRecord, running: RunningContainer, signal: string): Promise<void> {
    if (running.paused) {
      // A frozen process acts on no signal but SIGKILL; dockerd's stop and kill act on paused containers too.
      await running.vm.client.unpause();
      running.paused = false;
      await this.update(record.id, { ...this.options.store.get(record.id)!.state, status: 'running' });
    }
    this.emit(record, 'kill', { signal: String(signalNumber(signal)) });
    await running.main.signal(signal).catch(() => undefined); // a process that already exited needs no signal
  }

  /** Waits for the main process to end, writes the exit down, lets attached clients and waiters go and powers the VM off. */
  private async recordExit(id: string, running: RunningContainer): Promise<void> {
    const code = await running.exited;
    if (this.releasedVms) return; // the VM belongs to the next endpoint now
    const record = this.options.store.get(id);
    // Exited before the log closes: a client whose `logs -f` just ended sees the container stopped.
    if (record) await this.update(id, { status: 'exited', exitCode: code, ...(record.state.startedAt ? { startedAt: record.state.startedAt } : {}), finishedAt: new Date().toISOString() });
    running.log.close();
    running.endAttachments();
    await Promise.race([running.main.release().catch(() => undefined), timeout(POWER_OFF_TIMEOUT_MS)]);
    await Promise.race([running.vm.poweredOff, timeout(POWER_OFF_TIMEOUT_MS)]);
    await running.vm.powerOff();
    if (record) this.options.volumes.announce(record, 'unmount');
    this.options.networking.release(id);
    if (record?.state.network) await this.refreshPeerHosts(id, record.state.network);
    this.running.delete(id);
    this.exitRecorded.delete(id);
    if (record) this.emit(record, 'die', { exitCode: String(code) });
    this.notify(id, ['next-exit', 'not-running'], code);
    // `run --rm` takes the container's anonymous volumes with it, as dockerd does.
    if (record?.config.HostConfig?.AutoRemove) await this.remove(id, false, true);
  }

  /**
   * A start that failed ends like an exit, as in dockerd: attached clients and waiters are let go,
   * and an auto-remove container is removed, so `docker run --rm` reports the error instead of
   * waiting for a removal that would never come.
   */
  private async startFailed(record: ContainerRecord, error: Error): Promise<Result<never, ContainerErrorCode>> {
    const message = `failed to start container ${record.id}: ${error.message}`;
    await this.update(record.id, { ...record.state, error: message });
    this.endEarlyAttachments(record.id);
    this.notify(record.id, ['next-exit'], START_FAILED_EXIT_CODE);
    if (record.config.HostConfig?.AutoRemove) await this.remove(record.id, false, true);
    return fail('START_FAILED', message);
  }

  /** The containers sharing a user-defined network with `id` learn its name, or forget it, in their /etc/hosts. */
  async refreshPeerHosts(id: string, network: ContainerNetworkState): Promise<void> {
    for (const peer of this.options.networking.peersOf(id, network)) {
      const running = this.running.get(peer.id);
      if (!running || !peer.state.network) continue;
      const extraHosts = this.options.networking.hostsFor(peer, peer.state.network);
      // A peer whose VM is going away needs no new names.
      await running.vm.client.request({ op: 'setHosts', extraHosts }).catch(() => undefined);
    }
  }

  /** Lets go of clients waiting for a start that will not come. */
  private endEarlyAttachments(id: string): void {
    for (const attachment of this.earlyAttachments.get(id) ?? []) attachment.sink.end();
    this.earlyAttachments.delete(id);
  }

  private async update(id: string, state: ContainerState): Promise<void> {
    const record = this.options.store.get(id);
    if (record) await this.options.store.put({ ...record, state });
  }

  private emit(record: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.options.events.emit('container', action, record.id, { ...record.labels, image: record.imageName, name: record.name, ...extra });
  }

  private notify(id: string, conditions: WaitCondition[], code: number): void {
    const waiters = this.waiters.get(id) ?? [];
    const [done, left] = [waiters.filter((w) => conditions.includes(w.condition)), waiters.filter((w) => !conditions.includes(w.condition))];
    this.waiters.set(id, left);
    for (const waiter of done) waiter.resolve(code);
  }
}
