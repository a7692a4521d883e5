import { startVchEndpoint, type VchEndpoint } from '../../apps/endpoint/src/vch-endpoint';
import { ensureBootstrapIso } from './bootstrap-iso';

export type TestEndpoint = VchEndpoint;

export interface TestEndpointOptions {
  /** Container VMs outlive the endpoint and its successor adopts them (see VchEndpointOptions). */
  liveRestore?: boolean;
}

/** A VCH endpoint on a free loopback port, its state under `stateDir`, trusting loopback registries over HTTP. */
export async function startTestEndpoint(stateDir: string, options: TestEndpointOptions = {}): Promise<TestEndpoint> {
  const { iso } = await ensureBootstrapIso();
  return startVchEndpoint({ name: 'test-vch', stateDir, iso, host: '127.0.0.1', port: 0, insecureRegistries: ['127.0.0.0/8'], ...options });
}
