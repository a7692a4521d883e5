import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from './registry-process';
import { startTokenService, type TokenService } from './token-service';

export { startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from './fault-proxy';
export { freePort } from './free-port';
export { pushBlob, pushImage, pushIndex, pushManifest, sha256, type PushedImage } from './push';
export { startRegistry, type TestRegistry } from './registry-process';
export { startTokenService, type TokenService } from './token-service';

/** Real registries for tests, one per way of authenticating, all serving one storage directory. */
export interface TestRegistries {
  anonymous: TestRegistry;
  /** htpasswd basic auth; `username`/`password` open it. */
  basic: TestRegistry;
  /** Bearer tokens from `tokenService` (distribution's token auth); `username`/`password` get one. */
  bearer: TestRegistry;
  /** HTTPS with a self-signed certificate (`caPem`). */
  tls: TestRegistry;
  tokenService: TokenService;
  stop(): Promise<void>;
}

/**
 * Starts four docker-registry processes (Debian's distribution 2.8) on 127.0.0.1 sharing one
 * storage directory, so an image pushed once to `anonymous` is served by all four.
 */
export async function startTestRegistries(): Promise<TestRegistries> {
  const root = await mkdtemp(join(tmpdir(), 'vic-test-registries-'));
  const storage = join(root, 'storage');
  const tokenService = await startTokenService(root);
  const [anonymous, basic, bearer, tls] = await Promise.all([
    startRegistry(root, 'anonymous', undefined, storage),
    startRegistry(root, 'basic', undefined, storage),
    startRegistry(root, 'bearer', tokenService, storage),
    startRegistry(root, 'tls', undefined, storage),
  ]);
  return {
    anonymous,
    basic,
    bearer,
    tls,
    tokenService,
    async stop() {
      await Promise.all([anonymous, basic, bearer, tls].map((registry) => registry.stop()));
      await tokenService.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
