import type { ContainerConfig } from '@vic/protocol';
import type { ContainerVmRequest } from '../port-layer';
import { USER_NETWORK } from './qemu-args';
import type { NicSpec } from './vm-spec';

/** The outbound NIC's MAC: each VM's user-mode network is its own, so one fixed address serves all. */
const USER_NIC_MAC = '52:54:00:12:34:56';

/**
 * A container VM's NICs: one per segment (Docker network) in the request's order, then the
 * outbound one on QEMU's user-mode network, whose interface, default route and DNS relay the
 * guest learns from the config (the relay is the embedded DNS's upstream unless --dns names one).
 */
export function vmNetworking(request: ContainerVmRequest): { nics: NicSpec[]; config: Omit<ContainerConfig, 'rootfs'> } {
  const nics: NicSpec[] = (request.segments ?? []).map((s) => ({ kind: 'multicast', ...s }));
  if (!request.outbound) return { nics, config: request.config };
  nics.push({ kind: 'user', mac: USER_NIC_MAC, forwards: request.outbound.forwards });
  const { config } = request;
  const servers = config.dns?.servers.length ? config.dns.servers : [USER_NETWORK.dns];
  const upstream = config.embeddedDns?.upstream.length ? config.embeddedDns.upstream : [USER_NETWORK.dns];
  return {
    nics,
    config: {
      ...config,
      ...(config.embeddedDns ? { embeddedDns: { upstream } } : {}),
      networks: [...(config.networks ?? []), { mac: USER_NIC_MAC, addresses: [`${USER_NETWORK.guest}/${USER_NETWORK.prefixLength}`], gateway: USER_NETWORK.host }],
      dns: { servers, search: config.dns?.search ?? [] },
    },
  };
}
