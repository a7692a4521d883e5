import type { Descriptor, Platform } from '../image/image-types';

/** The only platform vic runs: every container is an x86-64 Linux VM. */
export const linuxAmd64: Platform = { os: 'linux', architecture: 'amd64' };

/** containerd `platforms.Normalize`: the spellings `uname` and old images use, mapped to OCI names. */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  let architecture = platform.architecture.toLowerCase();
  let variant = platform.variant?.toLowerCase() ?? '';
  switch (architecture) {
    case 'i386':
      architecture = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      architecture = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      architecture = 'arm64';
      if (variant === '8' || variant === 'v8') variant = '';
      break;
    case 'armhf':
      architecture = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (variant === '5' || variant === '6' || variant === '8') variant = `v${variant}`;
      break;
  }
  return variant === '' ? { os, architecture } : { os, architecture, variant };
}

/** containerd's matcher: equal after normalisation, variant included (`amd64/v3` is not plain `amd64`). */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  const a = normalizePlatform(wanted);
  const b = normalizePlatform(candidate);
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/** `linux/amd64`, `linux/arm/v7`: how docker names a platform in messages. */
export function formatPlatform(platform: Platform): string {
  const normal = normalizePlatform(platform);
  return [normal.os, normal.architecture, normal.variant].filter((part) => part !== undefined).join('/');
}

/** The first entry of an index for `wanted`, in index order as containerd picks it; entries without a platform never match. */
export function selectManifest(entries: readonly Descriptor[], wanted: Platform): Descriptor | undefined {
  return entries.find((entry) => entry.platform !== undefined && platformMatches(wanted, entry.platform));
}
