import type { FastifyInstance } from 'fastify';
import type { EndpointSettings } from '../../containers/container-record';
import type { ContainerStore } from '../../containers/container-store';
import type { EventLog } from '../../events/event-log';
import type { ContainerNetworking } from '../../networks/container-networking';
import { contains, formatAddress, formatSubnet, overlaps, parseAddress, parseSubnet } from '../../networks/ipv4';
import { networkJson } from '../../networks/network-json';
import type { ConnectionErrorCode, NetworkConnections } from '../../networks/network-connections';
import type { NetworkRecord } from '../../networks/network-record';
import type { NetworkStore } from '../../networks/network-store';
import { DockerApiError, valueOrApiError } from '../docker-error';
import { labelsMatch, parseFilters } from '../filters';

export interface NetworkRouteDeps {
  networks: NetworkStore;
  networking: ContainerNetworking;
  containers: ContainerStore;
  events: EventLog;
  connections: NetworkConnections;
}

interface CreateBody {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null } | null;
  EnableIPv6?: boolean;
}

interface ConnectBody {
  Container?: string;
  EndpointConfig?: EndpointSettings | null;
  Force?: boolean;
}

/** The status dockerd gives each kind of connect/disconnect failure. */
const connectionStatus: Record<ConnectionErrorCode, number> = { NO_SUCH_CONTAINER: 404, NO_SUCH_NETWORK: 404, FORBIDDEN: 403, INVALID_CONFIG: 400, START_FAILED: 500 };

const listFilters = ['name', 'id', 'label', 'driver', 'type', 'scope', 'dangling'] as const;

/** The `/networks` endpoints of the Engine API. */
export function registerNetworkRoutes(app: FastifyInstance, deps: NetworkRouteDeps): void {
  const { networks, networking, containers, events, connections } = deps;

  const find = (input: string): NetworkRecord => {
    const found = networks.find(input);
    if (!found.ok) throw new DockerApiError(404, found.error.message);
    return found.value;
  };
  const emit = (network: NetworkRecord, action: string, extra: Record<string, string> = {}) => events.emit('network', action, network.id, { name: network.name, type: network.driver, ...extra });

  app.get('/networks', async (request) => {
    const filters = parseFilters((request.query as { filters?: string }).filters, listFilters);
    return networks
      .all()
      .filter((n) => (filters.get('name') ?? []).every((name) => n.name.includes(name)))
      .filter((n) => (filters.get('id') ?? []).every((id) => n.id.startsWith(id)))
      .filter((n) => (filters.get('driver') ?? []).every((d) => n.driver === d))
      .filter((n) => (filters.get('type') ?? []).every((t) => (t === 'custom' ? !n.predefined : n.predefined)))
      .filter((n) => labelsMatch(filters, n.labels))
      .filter((n) => (filters.get('dangling') ?? []).every((d) => (['true', '1'].includes(d) ? !n.predefined && networking.attachedTo(n.id).length === 0 : true)))
      .map((n) => networkJson(n, containers.all()));
  });

  app.get('/networks/:id', async (request) => networkJson(find((request.params as { id: string }).id), containers.all()));

  app.post('/networks/create', async (request, reply) => {
    const body = (request.body ?? {}) as CreateBody;
    const name = body.Name ?? '';
    if (!name) throw new DockerApiError(400, 'network name must not be empty');
    if (body.Driver && body.Driver !== 'bridge') throw new DockerApiError(400, `network driver "${body.Driver}" is not supported by vic: only bridge networks`);
    if (networks.byName(name)) throw new DockerApiError(409, `network with name ${name} already exists`);
    const configs = body.IPAM?.Config ?? [];
    if (configs.length > 1) throw new DockerApiError(400, 'vic networks have one IPv4 subnet');
    const wanted = configs[0];
    let ipam;
    if (wanted?.Subnet) {
      const subnet = parseSubnet(wanted.Subnet);
      if (!subnet) throw new DockerApiError(400, `invalid subnet ${wanted.Subnet}: invalid CIDR address: ${wanted.Subnet}`);
      if (subnet.prefix > 30) throw new DockerApiError(400, `subnet ${wanted.Subnet} is too small for containers`);
      for (const other of networks.all()) {
        if (other.ipam && overlaps(parseSubnet(other.ipam.subnet)!, subnet)) throw new DockerApiError(403, 'invalid pool request: Pool overlaps with other one on this address space');
      }
      const gateway = wanted.Gateway ?? '';
      const gatewayAddress = gateway ? parseAddress(gateway) : subnet.base + 1;
      if (gatewayAddress === null || !contains(subnet, gatewayAddress)) throw new DockerApiError(400, `no matching subnet for gateway ${gateway}`);
      const range = wanted.IPRange ? parseSubnet(wanted.IPRange) : undefined;
      if (wanted.IPRange && (!range || !contains(subnet, range.base) || range.prefix < subnet.prefix)) throw new DockerApiError(400, `no matching subnet for range ${wanted.IPRange}`);
      ipam = { subnet: formatSubnet(subnet), gateway: formatAddress(gatewayAddress), ...(range ? { ipRange: formatSubnet(range) } : {}) };
    } else if (wanted?.Gateway || wanted?.IPRange) {
      throw new DockerApiError(400, 'a gateway or ip-range needs a subnet');
    }
    const created = await networks.create({
      name,
      internal: body.Internal ?? false,
      attachable: body.Attachable ?? false,
      labels: body.Labels ?? {},
      options: body.Options ?? {},
      ...(ipam ? { ipam } : {}),
    });
    if (!created.ok) throw new DockerApiError(403, created.error.message);
    emit(created.value, 'create');
    return reply.code(201).send({ Id: created.value.id, Warning: '' });
  });

  app.delete('/networks/:id', async (request, reply) => {
    const network = find((request.params as { id: string }).id);
    if (network.predefined) throw new DockerApiError(403, `${network.name} is a pre-defined network and cannot be removed`);
    if (networking.attachedTo(network.id).length > 0) {
      throw new DockerApiError(403, `error while removing network: network ${network.name} id ${network.id} has active endpoints`);
    }
    await networks.remove(network.id);
    emit(network, 'destroy');
    return reply.code(204).send();
  });

  app.post('/networks/prune', async (request) => {
    const filters = parseFilters((request.query as { filters?: string }).filters, ['label', 'until']);
    const until = filters.get('until')?.[0];
    const untilMs = until ? Date.parse(until) || Number(until) * 1000 : Infinity;
    const removed: string[] = [];
    for (const network of networks.all()) {
      if (network.predefined || networking.attachedTo(network.id).length > 0) continue;
      if (!labelsMatch(filters, network.labels) || Date.parse(network.created) >= untilMs) continue;
      await networks.remove(network.id);
      emit(network, 'destroy');
      removed.push(network.name);
    }
    return { NetworksDeleted: removed };
  });

  app.post('/networks/:id/connect', async (request, reply) => {
    const network = find((request.params as { id: string }).id);
    const body = (request.body ?? {}) as ConnectBody;
    valueOrApiError(await connections.connect(body.Container ?? '', network, body.EndpointConfig ?? {}), connectionStatus);
    return reply.code(200).send();
  });

  app.post('/networks/:id/disconnect', async (request, reply) => {
    const network = find((request.params as { id: string }).id);
    const body = (request.body ?? {}) as ConnectBody;
    valueOrApiError(await connections.disconnect(body.Container ?? '', network), connectionStatus);
    return reply.code(200).send();
  });
}
