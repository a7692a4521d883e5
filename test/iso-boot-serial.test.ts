import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUESTINFO_KEYS } from '@vic/protocol';
import { ChannelListener } from '../apps/endpoint/src/tether-bridge/channel-dialer';
import { TetherClient } from '../apps/endpoint/src/tether-bridge/tether-client';
import { ensureBootstrapIso } from './support/bootstrap-iso';
import { readAll, sha256Of } from './support/container-vm';
import { bootIsoVm, type IsoVm } from './support/esx-host/iso-vm';
import { busyboxRootfsImage, writableLayerImage } from './support/test-rootfs';

/*
 * A container VM run the way vSphere runs one (see support/esx-host/iso-vm.ts): the unchanged ISO
 * boots from a CD-ROM, the tether finds its identity in guestinfo, its disks on a PVSCSI
 * controller by slot, and its channel is a serial port that dials the endpoint's listener. Everything but the ESX host is real: QEMU stands in
 * for it, with the guestinfo handed over as fw_cfg.
 */

const containerId = 'iso-booted';
const token = randomBytes(16).toString('hex');
let work: string;
let listener: ChannelListener;
let vm: IsoVm;
let client: TetherClient;

beforeAll(async () => {
  const { iso } = await ensureBootstrapIso();
  work = mkdtempSync(join(tmpdir(), 'vic-iso-boot-'));
  listener = await ChannelListener.listen('127.0.0.1', 0);
  vm = bootIsoVm({
    name: containerId,
    iso,
    workDir: work,
    guestInfo: { [GUESTINFO_KEYS.containerId]: containerId, [GUESTINFO_KEYS.token]: token, [GUESTINFO_KEYS.channelDevice]: '/dev/ttyS1' },
    serialPorts: [
      { kind: 'file', path: join(work, 'console.log') },
      { kind: 'tcp', host: '127.0.0.1', port: listener.port },
    ],
    disks: [
      { path: busyboxRootfsImage(), unit: 0, format: 'raw', readOnly: true },
      { path: writableLayerImage(work), unit: 1, format: 'raw', readOnly: false },
    ],
  });
  try {
    client = await TetherClient.connect({ channel: listener, containerId, token, connectTimeoutMs: 90_000 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- console ---\n${readFileSync(join(work, 'console.log'), 'utf8').slice(-3000)}`);
  }
  await client.configure({ hostname: containerId, rootfs: { layers: [{ serial: 'scsi0:0', fstype: 'ext4' }], writable: { serial: 'scsi0:1', fstype: 'ext4' } } });
}, 180_000);

afterAll(async () => {
  client?.disconnect();
  await vm?.kill();
  await listener?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a container VM booted from the unchanged ISO, with its channel on a serial port', () => {
  it('takes its identity from guestinfo and runs a process over the serial channel', async () => {
    const session = await client.startSession({ id: 'hello', argv: ['sh', '-c', 'echo hello from $(hostname); exit 3'], env: ['PATH=/bin:/usr/bin'], openStdin: false, holdUntilAttached: false });
    expect(await readAll(session.stdout)).toBe(`hello from ${containerId}\n`);
    expect(await session.finished()).toEqual({ code: 3 });
  });

  it('carries every byte value through the serial line unchanged (raw mode)', async () => {
    const session = await client.startSession({
      id: 'bytes',
      argv: ['sh', '-c', 'head -c 300000 /dev/urandom > /tmp/r; sha256sum /tmp/r >&2; cat /tmp/r'],
      env: ['PATH=/bin:/usr/bin'],
      openStdin: false,
      holdUntilAttached: false,
    });
    const [received, stderr] = await Promise.all([sha256Of(session.stdout), readAll(session.stderr)]);
    expect(received.bytes).toBe(300_000);
    expect(stderr.split(' ')[0]).toBe(received.digest);
  });

  it('refuses a host with the wrong token', async () => {
    client.disconnect();
    await expect(TetherClient.connect({ channel: listener, containerId, token: 'wrong', connectTimeoutMs: 20_000 })).rejects.toThrow(/wrong channel token/);
  });
});
