import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderGuestInfo, FW_CFG_GUESTINFO } from '@vic/protocol';
import { QemuProcess } from '../../../apps/endpoint/src/portlayer/qemu/qemu-process';
import { MACHINE_TYPE } from '../../../apps/endpoint/src/portlayer/qemu';

/*
 * Part of the test harness that plays an ESX host: it runs a container VM the way ESX runs one,
 * not the way the local backend does. The VM boots the bootstrap ISO unchanged from a CD-ROM
 * (BIOS, isolinux: no kernel command line of ours), learns its identity from its guestinfo, and
 * its tether channel is a serial port that dials out to a TCP address, as a vSphere network
 * serial port with a `tcp://` URI does. ESX serves guestinfo over the VMware backdoor, which QEMU
 * does not emulate, so the harness hands it over as a fw_cfg file (FW_CFG_GUESTINFO).
 */

export interface IsoVmSpec {
  name: string;
  iso: string;
  workDir: string;
  /** guestinfo.* entries, as vSphere keeps them in the VM's extraConfig. */
  guestInfo: Record<string, string>;
  /**
   * The VM's serial ports in device order (the first is the guest's ttyS0): a file, as a
   * file-backed port keeps the console, or a TCP address a network serial port dials.
   */
  serialPorts: SerialPort[];
  /** Disks on one PVSCSI controller, as vSphere attaches them: the guest finds each by its slot ("scsi0:<unit>"). */
  disks: { path: string; unit: number; format: 'raw' | 'vmdk'; readOnly: boolean }[];
  /**
   * vmxnet3 NICs, each on an L2 segment: a multicast group on the host's loopback, or a tap on the
   * harness's physical network (public-network.ts).
   */
  nics?: ({ mac: string; group: string; port: number } | { mac: string; tap: string })[];
  memoryMiB?: number;
}

export type SerialPort = { kind: 'file'; path: string } | { kind: 'tcp'; host: string; port: number };

export interface IsoVm {
  process: QemuProcess;
  /** Where the first file-backed serial port writes (the guest's console), if it has one. */
  consoleLog: string | undefined;
  kill(): Promise<void>;
}

function serialPortArgs(port: SerialPort, index: number): string[] {
  const chardev =
    port.kind === 'file'
      ? `file,id=serial${index},path=${port.path}`
      : // reconnect: like a network serial port, it dials again when the endpoint goes away.
        `socket,id=serial${index},host=${port.host},port=${port.port},reconnect=1`;
  return ['-chardev', chardev, '-serial', `chardev:serial${index}`];
}

export function bootIsoVm(spec: IsoVmSpec): IsoVm {
  const consoleLog = spec.serialPorts.find((port) => port.kind === 'file')?.path;
  const guestInfoFile = join(spec.workDir, 'guestinfo');
  writeFileSync(guestInfoFile, renderGuestInfo(spec.guestInfo));
  const args = [
    '-name', spec.name,
    '-M', MACHINE_TYPE, '-accel', 'tcg', '-cpu', 'max',
    '-m', String(spec.memoryMiB ?? 512), '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-cdrom', spec.iso, '-boot', 'order=d',
    ...spec.serialPorts.flatMap(serialPortArgs),
    '-fw_cfg', `name=${FW_CFG_GUESTINFO},file=${guestInfoFile}`,
    ...(spec.nics ?? []).flatMap((nic, i) => [
      '-netdev', 'tap' in nic ? `tap,id=net${i},ifname=${nic.tap},script=no,downscript=no` : `socket,id=net${i},mcast=${nic.group}:${nic.port},localaddr=127.0.0.1`,
      '-device', `vmxnet3,netdev=net${i},mac=${nic.mac}`,
    ]),
    ...(spec.disks.length > 0 ? ['-device', 'pvscsi,id=pvscsi0'] : []),
    ...spec.disks.flatMap((disk, i) => [
      '-drive', `if=none,id=disk${i},file=${disk.path},format=${disk.format},readonly=${disk.readOnly ? 'on' : 'off'}`,
      '-device', `scsi-hd,bus=pvscsi0.0,scsi-id=${disk.unit},lun=0,drive=disk${i}`,
    ]),
  ];
  const process = QemuProcess.spawn(args);
  return {
    process,
    consoleLog,
    async kill() {
      process.signal('SIGKILL');
      await process.exited;
    },
  };
}
