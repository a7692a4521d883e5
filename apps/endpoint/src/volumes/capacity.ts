import { fail, ok, type Result } from '@vic/imagec';

/** VIC's default volume size. */
export const DEFAULT_CAPACITY_MIB = 1024;
/** Below this mke2fs cannot make a journalled ext4 file system worth the name. */
export const MIN_CAPACITY_MIB = 16;

const MIB_PER_UNIT: Record<string, number> = { '': 1, m: 1, mb: 1, mib: 1, g: 1024, gb: 1024, gib: 1024, t: 1024 * 1024, tb: 1024 * 1024, tib: 1024 * 1024 };

/**
 * A `Capacity` driver option as VIC read it: a number of megabytes ("512"), or with a unit
 * ("512MB", "2GB", "1TiB"); decimal and binary units both count in MiB, as VIC's did.
 */
export function parseCapacity(text: string): Result<number, 'INVALID_CAPACITY'> {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const perUnit = match ? MIB_PER_UNIT[match[2]!.toLowerCase()] : undefined;
  if (!match || perUnit === undefined) return fail('INVALID_CAPACITY', `invalid Capacity "${text}": give a size like 512MB or 2GB`);
  const mib = Math.floor(Number(match[1]) * perUnit);
  if (mib < MIN_CAPACITY_MIB) return fail('INVALID_CAPACITY', `invalid Capacity "${text}": a volume needs at least ${MIN_CAPACITY_MIB}MB`);
  return ok(mib);
}
