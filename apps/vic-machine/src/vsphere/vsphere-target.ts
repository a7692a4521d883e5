import { VicMachineError } from '../errors';

/** Where and as whom vic-machine talks to vSphere, from --target, --user and --password. */
export interface VsphereTarget {
  /** host or host:port, as typed. */
  readonly host: string;
  /** The SOAP endpoint: https://host[:port]/sdk. */
  readonly sdkUrl: string;
  readonly username: string;
  readonly password: string;
  /** The datacenter named by the target's path ("vc.example.com/DC0" -> "DC0"), if any. */
  readonly datacenter?: string;
}

export interface TargetFlags {
  readonly target: string | undefined;
  readonly user?: string;
  readonly password?: string;
}

/**
 * Parses VIC's --target: `[https://][user[:password]@]host[:port][/datacenter]`, where --user and
 * --password override the URL's credentials. User names may hold '@' (administrator@vsphere.local):
 * the last '@' ends the credentials.
 */
export function parseVsphereTarget(flags: TargetFlags): VsphereTarget {
  if (flags.target === undefined || flags.target.trim() === '') throw new VicMachineError('--target argument must be specified');
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(flags.target) ? flags.target : `https://${flags.target}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new VicMachineError(`--target ${JSON.stringify(flags.target)} is not a vSphere address: expected [user:password@]host[/datacenter]`, { cause: error });
  }
  if (url.protocol !== 'https:') throw new VicMachineError(`--target ${JSON.stringify(flags.target)}: vSphere is reached over https, not ${url.protocol.slice(0, -1)}`);
  if (url.search !== '' || url.hash !== '') throw new VicMachineError(`--target ${JSON.stringify(flags.target)} must not carry a query or fragment`);

  const username = flags.user ?? (url.username === '' ? undefined : decodeURIComponent(url.username));
  if (username === undefined || username === '') throw new VicMachineError('User to login must be specified in --user or --target URL');
  const password = flags.password ?? (url.password === '' && !/:[^@/]*@/.test(flags.target) ? undefined : decodeURIComponent(url.password));
  if (password === undefined) throw new VicMachineError('Password to login must be specified in --password or --target URL');

  const path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  if (path === 'sdk') throw new VicMachineError(`--target ${JSON.stringify(flags.target)}: give the host (and datacenter), not the /sdk endpoint`);
  return {
    host: url.host,
    sdkUrl: `https://${url.host}/sdk`,
    username,
    password,
    ...(path === '' ? {} : { datacenter: path }),
  };
}
