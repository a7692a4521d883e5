import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../../apps/endpoint/src/api/api-server';
import { ContainerRuntime } from '../../apps/endpoint/src/containers/container-runtime';
import { ContainerStore } from '../../apps/endpoint/src/containers/container-store';
import { ImageStore, RegistryClient } from '../../packages/imagec/src/index';
import { ensureBootstrapIso } from './bootstrap-iso';

export interface TestEndpoint {
  server: FastifyInstance;
  /** `tcp://127.0.0.1:<port>`, for DOCKER_HOST. */
  dockerHost: string;
  close(): Promise<void>;
}

/** A VCH endpoint on a free loopback port, its state under `stateDir`, trusting loopback registries over HTTP. */
export async function startTestEndpoint(stateDir: string): Promise<TestEndpoint> {
  const registryOptions = { insecureRegistries: ['127.0.0.0/8'], certsDir: join(stateDir, 'certs.d') };
  const registry = new RegistryClient(registryOptions);
  const images = await ImageStore.open(join(stateDir, 'images'));
  const containers = await ContainerStore.open(join(stateDir, 'containers'));
  const { iso } = await ensureBootstrapIso();
  const runtime = new ContainerRuntime({ store: containers, images, iso, workRoot: join(stateDir, 'vms') });
  const server = buildApiServer({
    images,
    registry,
    registryOptions,
    containers,
    runtime,
    facts: { id: 'test-vch', name: 'test-vch', stateDir, backend: 'local QEMU', insecureRegistries: ['127.0.0.0/8'], startedAt: new Date() },
  });
  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    server,
    dockerHost: address.replace('http://', 'tcp://'),
    async close() {
      await server.close();
      registry.close();
    },
  };
}
