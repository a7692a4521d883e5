import { fail, ok, type Result } from '@vic/imagec';
import type { ContainerRecord, EndpointSettings } from '../containers/container-record';
import type { ContainerRuntime } from '../containers/container-runtime';
import type { ContainerStore } from '../containers/container-store';
import type { EventLog } from '../events/event-log';
import type { ContainerNetworking } from './container-networking';
import type { NetworkRecord } from './network-record';

export type ConnectionErrorCode = 'NO_SUCH_CONTAINER' | 'FORBIDDEN' | 'INVALID_CONFIG' | 'START_FAILED' | 'NO_SUCH_NETWORK';

function isMode(record: ContainerRecord, network: NetworkRecord): boolean {
  const mode = record.config.HostConfig?.NetworkMode || 'default';
  return mode === network.name || (network.name === 'bridge' && mode === 'default');
}

/**
 * `docker network connect` and `disconnect`. A stopped container's create config changes (it
 * joins on its next start); a running one also gets a NIC hot-plugged or unplugged, the tether
 * brings the new interface up, and the others on the network learn or forget its name.
 */
export class NetworkConnections {
  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly containers: ContainerStore,
    private readonly networking: ContainerNetworking,
    private readonly events: EventLog,
  ) {}

  async connect(input: string, network: NetworkRecord, settings: EndpointSettings): Promise<Result<void, ConnectionErrorCode>> {
    const record = this.containers.find(input);
    if (!record) return fail('NO_SUCH_CONTAINER', `No such container: ${input}`);
    const endpoints = { ...(record.config.NetworkingConfig?.EndpointsConfig ?? {}) };
    if (record.config.HostConfig?.NetworkMode === 'none' || network.driver === 'null') {
      return fail('FORBIDDEN', 'container cannot be disconnected from host network or connected to host network');
    }
    if (endpoints[network.name] || isMode(record, network)) return fail('FORBIDDEN', `endpoint with name ${record.name} already exists in network ${network.name}`);
    endpoints[network.name] = settings;
    const config = { ...record.config, NetworkingConfig: { EndpointsConfig: endpoints } };
    const check = this.networking.check(config);
    if (!check.ok) return check;
    const running = this.runtime.runningContainer(record.id);
    let state = record.state;
    if (running && record.state.network) {
      const joined = this.networking.join(record, network, settings);
      if (!joined.ok) return joined;
      const { endpoint, nic, iface } = joined.value;
      try {
        await running.vm.plugSegment(nic);
        await running.vm.client.request({ op: 'configureInterface', config: iface });
      } catch (error) {
        this.networking.leave(record.id, network.id);
        return fail('START_FAILED', `connecting container ${record.name} to network ${network.name}: ${(error as Error).message}`);
      }
      state = { ...record.state, network: { ...record.state.network, endpoints: { ...record.state.network.endpoints, [network.name]: endpoint } } };
    }
    await this.containers.put({ ...record, config, state });
    this.events.emit('network', 'connect', network.id, { container: record.id, name: network.name, type: network.driver });
    if (state.network) await this.refreshHosts(record.id);
    return ok(undefined);
  }

  async disconnect(input: string, network: NetworkRecord): Promise<Result<void, ConnectionErrorCode>> {
    const record = this.containers.find(input);
    if (!record) return fail('NO_SUCH_CONTAINER', `No such container: ${input}`);
    const endpoints = { ...(record.config.NetworkingConfig?.EndpointsConfig ?? {}) };
    const mode = isMode(record, network);
    if (!endpoints[network.name] && !mode) return fail('FORBIDDEN', `container ${record.id} is not connected to network ${network.name}`);
    delete endpoints[network.name];
    // Leaving the network of its NetworkMode moves the container to the next one it is on, or to none.
    const hostConfig = mode ? { ...record.config.HostConfig, NetworkMode: Object.keys(endpoints)[0] ?? 'none' } : record.config.HostConfig;
    const config = { ...record.config, ...(hostConfig ? { HostConfig: hostConfig } : {}), NetworkingConfig: { EndpointsConfig: endpoints } };
    const running = this.runtime.runningContainer(record.id);
    let state = record.state;
    const endpoint = record.state.network?.endpoints[network.name];
    if (running && endpoint && record.state.network) {
      try {
        await running.vm.unplugSegment(endpoint.macAddress);
      } catch (error) {
        return fail('START_FAILED', `disconnecting container ${record.name} from network ${network.name}: ${(error as Error).message}`);
      }
      this.networking.leave(record.id, network.id);
      const left = { ...record.state.network.endpoints };
      delete left[network.name];
      state = { ...record.state, network: { ...record.state.network, endpoints: left } };
    }
    await this.containers.put({ ...record, config, state });
    this.events.emit('network', 'disconnect', network.id, { container: record.id, name: network.name, type: network.driver });
    if (endpoint && record.state.network) await this.runtime.refreshPeerHosts(record.id, record.state.network);
    return ok(undefined);
  }

  /** The container and those sharing its networks get their /etc/hosts rewritten. */
  private async refreshHosts(id: string): Promise<void> {
    const record = this.containers.get(id);
    const running = this.runtime.runningContainer(id);
    if (!record?.state.network || !running) return;
    await running.vm.client.request({ op: 'setHosts', extraHosts: this.networking.hostsFor(record, record.state.network) });
    await this.runtime.refreshPeerHosts(id, record.state.network);
  }
}
