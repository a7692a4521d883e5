/**
 * What the VCH appliance (the endpoint VM on vSphere) learns at boot from its guestinfo, as VIC's
 * appliance did: vic-machine writes it into the endpoint VM's extraConfig, the appliance's boot
 * program reads it (through the same guestinfo channel a container VM's tether reads) before it
 * starts the endpoint.
 */
export const APPLIANCE_GUESTINFO_KEY = 'guestinfo.vic.appliance';

export interface ApplianceConfig {
  /** The public NIC (the VM's first vmxnet3): its static address, as vic-machine --public-network-ip gives it. */
  network: {
    /** CIDR, e.g. 192.168.20.5/24. */
    address: string;
    gateway?: string;
    dns?: string[];
  };
  /**
   * Files written (mode 0600) before the endpoint starts, by absolute path under /etc/vic: the TLS
   * material and the vSphere credentials the endpoint arguments name.
   */
  files: Record<string, string>;
  /** The endpoint's command-line arguments (apps/endpoint/src/main.ts), state directory included. */
  endpointArgs: string[];
}
