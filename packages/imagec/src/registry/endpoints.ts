import { readdir, readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { defaultDomain } from '../reference/image-reference';

/** Where and how to reach one registry: the base URL and the TLS rules for it. */
export interface RegistryEndpoint {
  /** The registry as references name it: `docker.io`, `localhost:5000`. */
  host: string;
  /** `https://registry-1.docker.io` or, for listed insecure registries only, `http://…`. */
  origin: URL;
  /** CA certificates (PEM) to trust; absent means Node's built-in roots. */
  ca?: string[];
  /** False only for listed insecure registries: their TLS certificate is not verified. */
  verifyTls: boolean;
}

export interface EndpointOptions {
  /** `host:port`, `host` or CIDR entries (as dockerd's `insecure-registries`); IP literals match CIDRs. */
  insecureRegistries?: readonly string[];
  /** dockerd's `/etc/docker/certs.d`: every `<host>/*.crt` is a CA for that registry. */
  certsDir?: string;
  /** The system CA bundle trusted next to Node's built-in roots (Debian's path by default). */
  systemCaBundle?: string;
}

// Docker Hub's API is not served at the name references use (moby registry.DefaultV2Registry).
const dockerHubApiHost = 'registry-1.docker.io';
const defaultCertsDir = '/etc/docker/certs.d';
const defaultSystemCaBundle = '/etc/ssl/certs/ca-certificates.crt';

/**
 * The endpoints to try for `host`, in order, as moby's `lookupV2Endpoints` orders them: HTTPS
 * first; for a listed insecure registry the HTTPS endpoint skips verification and plain HTTP
 * follows as a fallback. Unlisted registries never fall back to HTTP.
 */
export async function registryEndpoints(host: string, options: EndpointOptions = {}): Promise<RegistryEndpoint[]> {
  const apiHost = host === defaultDomain ? dockerHubApiHost : host;
  const insecure = isInsecureRegistry(host, options.insecureRegistries ?? []);
  const extraCas = await readCertsDir(join(options.certsDir ?? defaultCertsDir, host));
  const system = await readOptional(options.systemCaBundle ?? defaultSystemCaBundle);
  const secure: RegistryEndpoint = { host, origin: new URL(`https://${apiHost}`), verifyTls: !insecure };
  if (system !== undefined || extraCas.length > 0) {
    // Setting `ca` replaces Node's built-in roots, so they go in too, next to the system's
    // (which hold CAs an administrator added) and the registry's own.
    secure.ca = [...rootCertificates, ...(system === undefined ? [] : [system]), ...extraCas];
  }
  if (!insecure) return [secure];
  return [secure, { host, origin: new URL(`http://${apiHost}`), verifyTls: false }];
}

/** dockerd's `isSecureIndex` inverted: the exact `host[:port]` is listed, or its IP lies in a listed CIDR. */
export function isInsecureRegistry(host: string, insecureRegistries: readonly string[]): boolean {
  if (insecureRegistries.includes(host)) return true;
  const ip = hostIp(host);
  if (ip === undefined) return false;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  const blocks = new BlockList();
  for (const entry of insecureRegistries) {
    const [network, prefix] = entry.split('/');
    if (network === undefined || prefix === undefined || isIP(network) === 0) continue;
    blocks.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  }
  return blocks.check(ip, family);
}

function hostIp(host: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const hostname = host.replace(/:\d+$/, '');
  return isIP(hostname) === 0 ? undefined : hostname;
}

async function readCertsDir(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const pems = await Promise.all(names.filter((name) => name.endsWith('.crt')).sort().map((name) => readFile(join(dir, name), 'utf8')));
  return pems;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
