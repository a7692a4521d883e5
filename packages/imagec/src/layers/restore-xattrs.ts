import { runHostCommand } from './host-commands';
import type { Xattrs } from './pax-xattrs';

/**
 * Sets extended attributes on files already unpacked under `root`, in one `setfattr --restore`
 * run: values go as hex so binary ones (security.capability) keep their bytes, and they are set
 * after tar's chown, which would clear a file capability. Symlinks get their own attributes (-h).
 */
export async function restoreXattrs(root: string, byPath: ReadonlyMap<string, Xattrs>): Promise<void> {
  if (byPath.size === 0) return;
  let dump = '';
  for (const [path, xattrs] of byPath) {
    dump += `# file: ${escapeDumpText(Buffer.from(path || '.'))}\n`;
    for (const [name, value] of xattrs) dump += `${escapeDumpText(Buffer.from(name))}=0x${value.toString('hex')}\n`;
    dump += '\n';
  }
  await runHostCommand('setfattr', ['-h', '--restore=-'], { cwd: root, input: dump });
}

/** getfattr's dump quoting, which setfattr undoes: any byte that is not plain printable ASCII, and `\` and `=`, as `\ooo`. */
function escapeDumpText(bytes: Buffer): string {
  let text = '';
  for (const byte of bytes) {
    const plain = byte > 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x3d;
    text += plain ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return text;
}
