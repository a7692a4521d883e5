/** One Docker network as the VCH keeps it on disk (`networks/<id>.json`). */
export interface NetworkRecord {
  id: string;
  name: string;
  created: string;
  /** `bridge` networks are L2 segments between container VMs; `null` is the `none` network. */
  driver: 'bridge' | 'null';
  /** Set on bridge networks: the multicast group on the host's loopback that is the segment's wire. */
  segment?: SegmentAddress;
  ipam?: NetworkIpam;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** `bridge` and `none`, and the VCH's container networks: made by the VCH, never removed. */
  predefined: boolean;
  /**
   * A container network (vic-machine --container-network portgroup:alias): a vSphere portgroup of
   * its own, where containers on it get their NIC instead of on the bridge network.
   */
  portgroup?: string;
}

/** A container network as the VCH is configured with it (VIC's --container-network and its IP options). */
export interface ContainerNetworkSpec {
  /** The Docker network's name. */
  alias: string;
  /** The vSphere portgroup it is. */
  portgroup: string;
  ipam: NetworkIpam;
}

export interface SegmentAddress {
  group: string;
  port: number;
}

export interface NetworkIpam {
  /** CIDR, e.g. 172.16.0.0/16. */
  subnet: string;
  gateway: string;
  /** CIDR inside the subnet that container addresses come from; the whole subnet when absent. */
  ipRange?: string;
}

/** What a running container holds on one network (inspect's NetworkSettings.Networks entry). */
export interface EndpointState {
  networkId: string;
  endpointId: string;
  /** The address without its prefix, e.g. 172.16.0.2. */
  ipAddress: string;
  prefixLength: number;
  gateway: string;
  macAddress: string;
  aliases: string[];
}

/** A host port forwarded to the container. */
export interface PortBinding {
  /** "80/tcp", as Docker keys ports. */
  containerPort: string;
  hostIp: string;
  hostPort: number;
}

/** A running container's network state: written at start, dropped with the rest of its state at exit. */
export interface ContainerNetworkState {
  endpoints: Record<string, EndpointState>;
  ports: PortBinding[];
}
