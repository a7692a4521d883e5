import { isAbsolute, posix } from 'node:path';
import { fail, ok, type Result } from '@vic/imagec';

/** `HostConfig.Mounts[]` of the Engine API (`--mount`), the part vic honours. */
export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null } | null;
}

/** A mount a container asks for, before its volumes exist. */
export type MountRequest =
  | {
      type: 'volume';
      /** Absent for an anonymous volume. */
      name?: string;
      target: string;
      readOnly: boolean;
      copyImageContent: boolean;
      driver?: string;
      driverOpts?: Record<string, string>;
      labels?: Record<string, string>;
    }
  | {
      type: 'bind';
      source: string;
      target: string;
      readOnly: boolean;
      /** `-v` makes a missing host directory; `--mount` refuses it. */
      createSource: boolean;
    };

type Invalid = Result<never, 'INVALID_MOUNT'>;

/** The `:mode` words dockerd's Linux parser accepts; propagation and SELinux labels mean nothing to a VM and are ignored. */
const BIND_MODES = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

function invalidSpec(spec: string, why?: string): Invalid {
  return fail('INVALID_MOUNT', `invalid volume specification: '${spec}'${why ? `: ${why}` : ''}`);
}

function checkTarget(target: string, describe: (why: string) => Invalid): Result<string, 'INVALID_MOUNT'> {
  if (!target) return describe('field Target must not be empty');
  if (!isAbsolute(target)) return describe(`invalid mount path: '${target}' mount path must be absolute`);
  const clean = posix.normalize(target).replace(/(.)\/$/, '$1');
  if (clean === '/') return fail('INVALID_MOUNT', "invalid specification: destination can't be '/'");
  return ok(clean);
}

/** One `-v` / `HostConfig.Binds` entry: `name:/path[:mode]`, `/host:/path[:mode]` or `/path`. */
export function parseBind(spec: string): Result<MountRequest, 'INVALID_MOUNT'> {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((part) => part === '')) return invalidSpec(spec);
  const [first, second, modeText] = parts as [string, string | undefined, string | undefined];
  const modes = modeText === undefined ? [] : modeText.split(',');
  const unknown = modes.find((mode) => !BIND_MODES.has(mode));
  if (unknown !== undefined) return fail('INVALID_MOUNT', `invalid mode: ${modeText}`);
  if (modes.includes('ro') && modes.includes('rw')) return fail('INVALID_MOUNT', `invalid mode: ${modeText}`);
  const readOnly = modes.includes('ro');
  const target = checkTarget(second ?? first, (why) => invalidSpec(spec, why));
  if (!target.ok) return target;
  if (second === undefined) return ok({ type: 'volume', target: target.value, readOnly, copyImageContent: true });
  if (isAbsolute(first)) {
    if (modes.includes('nocopy')) return invalidSpec(spec, 'nocopy is only for volumes');
    return ok({ type: 'bind', source: posix.normalize(first), target: target.value, readOnly, createSource: true });
  }
  return ok({ type: 'volume', name: first, target: target.value, readOnly, copyImageContent: !modes.includes('nocopy') });
}

/** One `--mount` / `HostConfig.Mounts` entry. */
export function parseApiMount(mount: ApiMount): Result<MountRequest, 'INVALID_MOUNT'> {
  const type = mount.Type ?? '';
  const invalid = (why: string): Invalid => fail('INVALID_MOUNT', `invalid mount config for type "${type}": ${why}`);
  const target = checkTarget(mount.Target ?? '', invalid);
  if (!target.ok) return target;
  const readOnly = mount.ReadOnly === true;
  if (type === 'bind') {
    if (!mount.Source) return invalid('field Source must not be empty');
    if (!isAbsolute(mount.Source)) return invalid(`invalid mount path: '${mount.Source}' mount path must be absolute`);
    if (mount.VolumeOptions) return invalid('field VolumeOptions must not be specified');
    return ok({ type: 'bind', source: posix.normalize(mount.Source), target: target.value, readOnly, createSource: false });
  }
  if (type === 'volume') {
    const options = mount.VolumeOptions ?? {};
    const driver = options.DriverConfig?.Name;
    return ok({
      type: 'volume',
      ...(mount.Source ? { name: mount.Source } : {}),
      target: target.value,
      readOnly,
      copyImageContent: options.NoCopy !== true,
      ...(driver ? { driver } : {}),
      ...(options.DriverConfig?.Options ? { driverOpts: options.DriverConfig.Options } : {}),
      ...(options.Labels ? { labels: options.Labels } : {}),
    });
  }
  if (type === '') return invalid('mount type must not be empty');
  return fail('INVALID_MOUNT', `mount type "${type}" is not supported by vic`);
}

export interface ContainerMountInput {
  binds: string[];
  mounts: ApiMount[];
  /** Paths the image (`VOLUME`) and the create request's `Config.Volumes` (`-v /path`) want a volume at. */
  volumePaths: string[];
  /** Targets `--volumes-from` already fills: an image's VOLUME there is not made. */
  inheritedTargets?: string[];
}

/** One `--volumes-from container[:ro|rw]`. */
export function parseVolumesFrom(spec: string): Result<{ container: string; readOnly: boolean }, 'INVALID_MOUNT'> {
  const [container = '', mode, ...rest] = spec.split(':');
  if (!container || rest.length > 0) return invalidSpec(spec);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') return fail('INVALID_MOUNT', `invalid mode: ${mode}`);
  return ok({ container, readOnly: mode === 'ro' });
}

/**
 * Every mount a container asks for, parents before children (the order they are mounted in). A
 * target given twice is refused, except that a bind or named volume replaces an image's VOLUME there.
 */
export function parseContainerMounts(input: ContainerMountInput): Result<MountRequest[], 'INVALID_MOUNT'> {
  const explicit: MountRequest[] = [];
  for (const bind of input.binds) {
    const parsed = parseBind(bind);
    if (!parsed.ok) return parsed;
    explicit.push(parsed.value);
  }
  for (const mount of input.mounts) {
    const parsed = parseApiMount(mount);
    if (!parsed.ok) return parsed;
    explicit.push(parsed.value);
  }
  const seen = new Set<string>(input.inheritedTargets);
  for (const request of explicit) seen.delete(request.target); // an explicit mount replaces an inherited one
  for (const request of explicit) {
    if (seen.has(request.target)) return fail('INVALID_MOUNT', `Duplicate mount point: ${request.target}`);
    seen.add(request.target);
  }
  const requests = [...explicit];
  for (const path of input.volumePaths) {
    const target = checkTarget(path, (why) => invalidSpec(path, why));
    if (!target.ok) return target;
    if (seen.has(target.value)) continue;
    seen.add(target.value);
    requests.push({ type: 'volume', target: target.value, readOnly: false, copyImageContent: true });
  }
  return ok(requests.sort((a, b) => a.target.split('/').length - b.target.split('/').length));
}
