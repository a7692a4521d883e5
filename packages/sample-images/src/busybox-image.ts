import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cachedImage, sha256, type BuiltImage } from './built-image';
import { tarOf, type TarEntry } from './layer-tar';

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nvic:x:1000:1000:vic user:/home/vic:/bin/sh\n';
const GROUP = 'root:x:0:\ntty:x:5:\nusers:x:100:vic\nnogroup:x:65534:\nvic:x:1000:\n';

/** A one-layer busybox image from Debian's busybox-static: the binary, a link per applet, a root and a `vic` user. */
export function buildBusyboxImage(): Promise<BuiltImage> {
  const busybox = readFileSync('/bin/busybox');
  return cachedImage('busybox', sha256(busybox) + PASSWD + GROUP, async () => {
    const applets = execFileSync('/bin/busybox', ['--list']).toString().split('\n').filter((applet) => applet && applet !== 'busybox');
    const entries: TarEntry[] = [
      ...['bin/', 'etc/', 'root/', 'home/', 'dev/', 'proc/', 'sys/', 'var/'].map((name) => ({ name, type: 'directory' as const, mode: 0o755 })),
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
      { name: 'home/vic/', type: 'directory', mode: 0o755, uid: 1000, gid: 1000 },
      { name: 'bin/busybox', content: busybox, mode: 0o755 },
      ...applets.sort().map((applet) => ({ name: `bin/${applet}`, type: 'symlink' as const, linkname: 'busybox' })),
      { name: 'etc/passwd', content: PASSWD, mode: 0o644 },
      { name: 'etc/group', content: GROUP, mode: 0o644 },
    ];
    return {
      layerTars: [await tarOf(entries)],
      config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'], Env: [PATH] }, history: [{ created_by: 'vic test: busybox-static' }] },
    };
  });
}
