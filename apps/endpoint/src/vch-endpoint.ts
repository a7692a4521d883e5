import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ImageStore, RegistryClient } from '@vic/imagec';
import { buildApiServer, type ServerTls } from './api/api-server';
import { ContainerRuntime } from './containers/container-runtime';
import { ContainerStore } from './containers/container-store';
import { EventLog } from './events/event-log';
import { ExecRuntime } from './exec/exec-runtime';
import { ExecStore } from './exec/exec-store';
import { ContainerNetworking } from './networks/container-networking';
import { NetworkConnections } from './networks/network-connections';
import type { ContainerNetworkSpec } from './networks/network-record';
import { NetworkStore } from './networks/network-store';
import type { PortLayer } from './portlayer/port-layer';
import { QemuPortLayer } from './portlayer/qemu/qemu-port-layer';
import { VspherePortLayer } from './portlayer/vsphere/vsphere-port-layer';
import type { VsphereTarget } from './portlayer/vsphere/vsphere-target';
import { ContainerVolumes } from './volumes/container-volumes';
import { volumeUsers } from './volumes/volume-users';
import { VolumeStore } from './volumes/volume-store';

export interface VchEndpointOptions {
  /** The VCH's name, shown by `docker info`. */
  name: string;
  /** Everything the VCH keeps: images, containers, container VM files. */
  stateDir: string;
  /** The bootstrap ISO container VMs boot. */
  iso: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Serve TLS and require client certificates signed by `ca`; plain HTTP when absent. */
  tls?: ServerTls;
  /** Registries reached over HTTP or unverified TLS (host[:port] or CIDR). */
  insecureRegistries?: string[];
  /** Where bridge network subnets come from, as /16s (default 172.16.0.0/12, the first for `bridge`). */
  bridgeNetworkRange?: string;
  /** vSphere portgroups offered as Docker networks (VIC's --container-network portgroup:alias, with its IP range). */
  containerNetworks?: ContainerNetworkSpec[];
  /** Volume store label -> directory for its volume disks; "default" is under `stateDir` unless given. */
  volumeStores?: Record<string, string>;
  /**
   * dockerd's live-restore: container VMs keep running when the endpoint closes or dies, and the
   * next endpoint over the same state takes them over. Off, closing powers them off.
   */
  liveRestore?: boolean;
  /** Run container VMs in vSphere instead of as local QEMU processes. */
  vsphere?: VsphereTarget;
}

export interface VchEndpoint {
  server: FastifyInstance;
  /** `tcp://host:port`, for DOCKER_HOST. */
  dockerHost: string;
  close(): Promise<void>;
}

/** Opens a VCH's state under `stateDir` and serves its Docker Engine API; closing it powers off its container VMs unless `liveRestore`. */
export async function startVchEndpoint(options: VchEndpointOptions): Promise<VchEndpoint> {
  const insecureRegistries = options.insecureRegistries ?? [];
  const registryOptions = { insecureRegistries, certsDir: join(options.stateDir, 'certs.d') };
  const registry = new RegistryClient(registryOptions);
  const images = await ImageStore.open(join(options.stateDir, 'images'));
  const containers = await ContainerStore.open(join(options.stateDir, 'containers'));
  const portLayer: PortLayer = options.vsphere
    ? await VspherePortLayer.open({ target: options.vsphere, iso: options.iso })
    : new QemuPortLayer({ iso: options.iso, workRoot: join(options.stateDir, 'vms'), vmsOutliveEndpoint: options.liveRestore === true });
  const events = new EventLog();
  const volumes = await VolumeStore.open(join(options.stateDir, 'volumes'), events, (name) => volumeUsers(containers.all(), name), options.volumeStores, (name) =>
    portLayer.removeVolume(name),
  );
  const networks = await NetworkStore.open(join(options.stateDir, 'networks'), options.bridgeNetworkRange, options.containerNetworks);
  const networking = new ContainerNetworking(networks, () => containers.all());
  const execStore = await ExecStore.open(join(options.stateDir, 'execs'));
  const runtime = await ContainerRuntime.open({
    store: containers,
    images,
    portLayer,
    events,
    logDir: join(options.stateDir, 'logs'),
    volumes: new ContainerVolumes(volumes, events),
    networking,
    adoptExecSession: (status) => execStore.sessionStreams(status.id),
  });
  const connections = new NetworkConnections(runtime, containers, networking, events);
  const execs = new ExecRuntime(runtime, execStore, events);
  await execs.adoptRunning();
  const server = buildApiServer(
    {
      images,
      registry,
      registryOptions,
      containers,
      runtime,
      execs,
      events,
      volumes,
      networks,
      networking,
      connections,
      facts: { id: options.name, name: options.name, stateDir: options.stateDir, backend: portLayer.backend, insecureRegistries, startedAt: new Date() },
    },
    options.tls,
  );
  const address = await server.listen({ host: options.host, port: options.port });
  return {
    server,
    dockerHost: address.replace(/^https?:\/\//, 'tcp://'),
    async close() {
      await server.close();
      if (options.liveRestore) runtime.release();
      else await runtime.shutdown();
      registry.close();
    },
  };
}
