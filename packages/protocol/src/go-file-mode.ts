/**
 * Go's os.FileMode type bits (io/fs), which Docker's path stat carries instead of a POSIX
 * st_mode. They sit above bit 19, so they are added as numbers, never combined with JavaScript's
 * 32-bit signed bitwise operators.
 */
const GoMode = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
} as const;

const S_IFMT = 0o170000;

const typeBits: Record<number, number> = {
  0o040000: GoMode.dir,
  0o120000: GoMode.symlink,
  0o060000: GoMode.device,
  0o020000: GoMode.device + GoMode.charDevice,
  0o010000: GoMode.namedPipe,
  0o140000: GoMode.socket,
};

/** A POSIX st_mode as Go's os.FileMode (what `os.Lstat(...).Mode()` would report). */
export function goFileMode(posixMode: number): number {
  const type = typeBits[posixMode & S_IFMT] ?? 0;
  const special = (posixMode & 0o4000 ? GoMode.setuid : 0) + (posixMode & 0o2000 ? GoMode.setgid : 0) + (posixMode & 0o1000 ? GoMode.sticky : 0);
  return type + special + (posixMode & 0o777);
}
