import { createServer } from 'node:net';
import { fail, ok, type Result } from '@vic/imagec';
import type { ContainerCreateConfig } from '../containers/container-record';
import type { PortBinding } from './network-record';

/** A port binding asked for, before a free host port is picked for an empty one. */
export interface RequestedBinding {
  containerPort: string;
  protocol: 'tcp' | 'udp';
  guestPort: number;
  hostIp: string;
  /** 0: any free port. */
  hostPort: number;
}

/** "80", "80/tcp", "53/udp" -> port and protocol; null when malformed or not tcp/udp. */
export function parsePortKey(key: string): { port: number; protocol: 'tcp' | 'udp' } | null {
  const match = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(key);
  const port = Number(match?.[1]);
  if (!match || port < 1 || port > 65535) return null;
  return { port, protocol: (match[2] ?? 'tcp') as 'tcp' | 'udp' };
}

/** `-p` bindings, plus every exposed port (image and --expose) under `-P`. */
export function requestedBindings(config: ContainerCreateConfig, imageExposed: Record<string, object> | undefined): Result<RequestedBinding[], 'INVALID_CONFIG'> {
  const bindings = { ...(config.HostConfig?.PortBindings ?? {}) };
  if (config.HostConfig?.PublishAllPorts) {
    for (const key of Object.keys({ ...(imageExposed ?? {}), ...(config.ExposedPorts ?? {}) })) {
      if (!bindings[key]?.length) bindings[key] = [{ HostIp: '', HostPort: '' }];
    }
  }
  const out: RequestedBinding[] = [];
  for (const [key, hosts] of Object.entries(bindings)) {
    const parsed = parsePortKey(key);
    if (!parsed) return fail('INVALID_CONFIG', `invalid port specification: "${key}"`);
    const containerPort = `${parsed.port}/${parsed.protocol}`;
    for (const host of hosts ?? []) {
      const hostIp = host.HostIp || '0.0.0.0';
      // IPv6 binds are dropped: QEMU's user-mode network forwards IPv4 host ports only.
      if (hostIp.includes(':')) continue;
      const hostPort = host.HostPort ? Number(host.HostPort) : 0;
      if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535) return fail('INVALID_CONFIG', `invalid port specification: "${host.HostPort}"`);
      out.push({ containerPort, protocol: parsed.protocol, guestPort: parsed.port, hostIp, hostPort });
    }
  }
  return ok(out);
}

/** Binds `hostIp:port` (0 = any) to see whether it is free; resolves the port it got, or the bind error. */
function probe(protocol: 'tcp' | 'udp', hostIp: string, port: number): Promise<Result<number, string>> {
  if (protocol === 'udp') return Promise.resolve(ok(port)); // QEMU itself reports a UDP port it cannot bind
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(fail(err.code ?? 'EBIND', err.message)));
    server.listen({ host: hostIp, port, exclusive: true }, () => {
      const got = (server.address() as { port: number }).port;
      server.close(() => resolve(ok(got)));
    });
  });
}

/**
 * Host ports the VCH's containers hold. A port another container holds is refused with dockerd's
 * port-allocator words, one some other program holds with its userland-proxy words.
 */
export class HostPorts {
  private readonly held = new Map<string, string>();

  async allocate(containerId: string, requested: RequestedBinding[]): Promise<Result<PortBinding[], string>> {
    const bound: PortBinding[] = [];
    for (const want of requested) {
      const key = (port: number) => `${want.protocol}:${want.hostIp}:${port}`;
      const anyIp = (port: number) => `${want.protocol}:0.0.0.0:${port}`;
      if (want.hostPort && (this.held.has(key(want.hostPort)) || this.held.has(anyIp(want.hostPort)))) {
        this.release(containerId);
        return fail('CONFLICT', `Bind for ${want.hostIp}:${want.hostPort} failed: port is already allocated`);
      }
      const probed = await probe(want.protocol, want.hostIp, want.hostPort);
      if (!probed.ok) {
        this.release(containerId);
        const reason = probed.error.code === 'EADDRINUSE' ? 'bind: address already in use' : probed.error.message;
        return fail('CONFLICT', `Error starting userland proxy: listen ${want.protocol}4 ${want.hostIp}:${want.hostPort}: ${reason}`);
      }
      this.held.set(key(probed.value), containerId);
      bound.push({ containerPort: want.containerPort, hostIp: want.hostIp, hostPort: probed.value });
    }
    return ok(bound);
  }

  /** Holds the ports of a container whose VM outlived the previous endpoint. */
  restore(containerId: string, bound: PortBinding[]): void {
    for (const b of bound) this.held.set(`${b.containerPort.endsWith('/udp') ? 'udp' : 'tcp'}:${b.hostIp}:${b.hostPort}`, containerId);
  }

  release(containerId: string): void {
    for (const [key, holder] of this.held) if (holder === containerId) this.held.delete(key);
  }
}
