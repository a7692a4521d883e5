import { cpus, release, totalmem } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { ContainerStore } from '../../containers/container-store';
import { containerSummary } from '../container-json';
import { imageSummaryJson } from './image-routes';
import type { ImageStore } from '@vic/imagec';
import { API_VERSION, ENGINE_VERSION, MIN_API_VERSION } from '../api-version';
import type { VolumeStore } from '../../volumes/volume-store';
import { volumeUsageJson } from '../../volumes/volume-json';

/** What `docker info` and `docker version` say about the VCH. */
export interface VchFacts {
  id: string;
  name: string;
  /** Where the VCH keeps its state. */
  stateDir: string;
  backend: string;
  insecureRegistries: string[];
  startedAt: Date;
}

export interface SystemRouteDeps {
  facts: VchFacts;
  images: ImageStore;
  containers: ContainerStore;
  volumes: VolumeStore;
}

const pingHeaders = {
  'API-Version': API_VERSION,
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
};

export function registerSystemRoutes(app: FastifyInstance, deps: SystemRouteDeps): void {
  // fastify answers HEAD /_ping (the CLI's first request) from this route too.
  app.get('/_ping', async (_request, reply) => reply.headers(pingHeaders).type('text/plain; charset=utf-8').send('OK'));

  app.get('/version', async () => {
    const details = {
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      Os: 'linux',
      Arch: 'amd64',
      KernelVersion: release(),
      GitCommit: '',
      GoVersion: `node ${process.version}`,
      BuildTime: deps.facts.startedAt.toISOString(),
      Experimental: 'false',
    };
    return {
      Platform: { Name: `vic ${deps.facts.backend}` },
      Components: [{ Name: 'Engine', Version: ENGINE_VERSION, Details: details }],
      Version: ENGINE_VERSION,
      ...details,
      Experimental: false,
    };
  });

  /** `docker system df`: images with how many containers use each, containers, and the layer disks' size. */
  app.get('/system/df', async () => {
    const usage = await deps.images.diskUsage();
    const containers = deps.containers.all();
    return {
      LayersSize: usage.layerBytes,
      Images: deps.images.list().map((image) => imageSummaryJson(image, containers.filter((container) => container.imageId === image.id).length)),
      Containers: containers.map((record) => ({ ...containerSummary(record), SizeRw: 0, SizeRootFs: 0 })),
      Volumes: await Promise.all(deps.volumes.all().map((record) => volumeUsageJson(record, deps.volumes))),
      BuildCache: [],
    };
  });

  app.get('/info', async () => {
    const usage = await deps.images.diskUsage();
    const containers = deps.containers.all();
    const count = (status: string) => containers.filter((record) => record.state.status === status).length;
    return {
      ID: deps.facts.id,
      Name: deps.facts.name,
      Containers: containers.length,
      ContainersRunning: count('running'),
      ContainersPaused: count('paused'),
      ContainersStopped: containers.length - count('running') - count('paused'),
      Images: usage.images,
      Driver: 'vic-erofs',
      DriverStatus: [
        ['Layer disks', String(usage.layers)],
        ['Layer disk bytes', String(usage.layerBytes)],
        ['Blob bytes', String(usage.blobBytes)],
      ],
      Plugins: { Volume: ['local', 'vsphere'], Network: [], Authorization: null, Log: [] },
      MemoryLimit: true,
      SwapLimit: false,
      CpuCfsPeriod: false,
      CpuCfsQuota: false,
      IPv4Forwarding: true,
      Debug: false,
      NFd: 0,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: 'none',
      NEventsListener: 0,
      KernelVersion: release(),
      OperatingSystem: `vSphere Integrated Containers (${deps.facts.backend})`,
      OSType: 'linux',
      Architecture: 'x86_64',
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { InsecureRegistryCIDRs: deps.facts.insecureRegistries, IndexConfigs: {}, Mirrors: [] },
      NCPU: cpus().length,
      MemTotal: totalmem(),
      DockerRootDir: deps.facts.stateDir,
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: ENGINE_VERSION,
      SecurityOptions: [],
      Warnings: null,
    };
  });
}
