// Stand-in for the real tether bundle (apps/tether/dist), for measuring boots and testing the VM
// runner without the real tether. It prints one line as soon as Node runs, which is the boot-time
// marker. With vic.standin=probe on the kernel command line it then checks the layout contract the
// way the tether relies on it: loads /lib/modules/load-order with busybox insmod, finds the
// virtio-serial port named vic.tether and writes a line to it listing the virtio-blk serials.
// Then it powers the VM off.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

const uptime = fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0];
console.log(`tether-up pid=${process.pid} uptime=${uptime}`);

function probe() {
  for (const mod of fs.readFileSync('/lib/modules/load-order', 'utf8').split('\n').filter(Boolean)) {
    const r = spawnSync('/bin/busybox', ['insmod', mod], { encoding: 'utf8' });
    if (r.status !== 0) console.log(`stand-in: insmod ${mod}: ${r.stderr.trim()}`);
  }
  const deadline = Date.now() + 10000;
  const sysPorts = '/sys/class/virtio-ports';
  for (;;) {
    const ports = fs.existsSync(sysPorts) ? fs.readdirSync(sysPorts) : [];
    const port = ports.find((p) => fs.readFileSync(`${sysPorts}/${p}/name`, 'utf8').trim() === 'vic.tether');
    const disks = fs.readdirSync('/sys/block').filter((d) => fs.existsSync(`/sys/block/${d}/serial`));
    if (port && fs.existsSync(`/dev/${port}`)) {
      const serials = disks.map((d) => `${d}=${fs.readFileSync(`/sys/block/${d}/serial`, 'utf8').trim()}`).join(' ');
      const fd = fs.openSync(`/dev/${port}`, 'r+');
      fs.writeSync(fd, `stand-in on ${port}: disks ${serials}\n`);
      fs.closeSync(fd);
      console.log(`stand-in: wrote to ${port}`);
      return;
    }
    if (Date.now() > deadline) {
      console.log(`stand-in: no virtio port named vic.tether (ports: ${ports.join(' ')})`);
      return;
    }
    spawnSync('/bin/busybox', ['usleep', '20000']);
  }
}

if (/(^|\s)vic\.standin=probe(\s|$)/.test(fs.readFileSync('/proc/cmdline', 'utf8'))) probe();
spawnSync('/bin/busybox', ['poweroff', '-f'], { stdio: 'inherit' });
