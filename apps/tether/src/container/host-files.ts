import type { ContainerConfig } from '@vic/protocol';

/** /etc/hosts as Docker writes it for a container on no user network. */
export function renderHosts(config: ContainerConfig): string {
  const fqdn = config.domainName ? `${config.hostname}.${config.domainName} ` : '';
  // A container with a network address is named by it (the endpoint's first extra line), as in dockerd.
  const addressed = (config.extraHosts ?? []).some((line) => line.split(/\s+/)[1] === config.hostname);
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    ...(addressed ? [] : [`127.0.1.1\t${fqdn}${config.hostname}`]),
    ...(config.extraHosts ?? []),
    '',
  ].join('\n');
}

export function renderResolvConf(config: ContainerConfig): string | null {
  const dns = config.dns;
  if (!dns || (dns.servers.length === 0 && dns.search.length === 0)) return null;
  const lines = dns.servers.map((s) => `nameserver ${s}`);
  if (dns.search.length > 0) lines.push(`search ${dns.search.join(' ')}`);
  // As dockerd writes it for its embedded DNS: single-label names go to it first.
  if (config.embeddedDns) lines.push('options ndots:0');
  return `${lines.join('\n')}\n`;
}
