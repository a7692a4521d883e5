import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBusyboxVch, type BusyboxVch } from './support/busybox-vch';
import { freePort } from './support/registry/free-port';

/*
 * Networks with the real docker CLI on real container VMs: published ports served to the host,
 * two containers on a user-defined network talking by name, a container reaching a service on
 * the host, and the /networks API around them. VM boots are kept to two.
 */

let vch: BusyboxVch;
let hostService: Server;
const docker = (...args: string[]) => vch.docker(...args);
const ok = (...args: string[]) => vch.ok(...args);


/** GETs `url` until it answers (the container's httpd may still be starting), bounded by a deadline. */
async function fetchWhenUp(url: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return await response.text();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms: ${(error as Error).message}`);
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  vch = await startBusyboxVch('endpoint-networks');
  hostService = createServer((_request, response) => response.end('from-the-host\n'));
  await new Promise<void>((resolve) => hostService.listen(0, '127.0.0.1', resolve));
}, 1_200_000);

afterAll(async () => {
  await vch?.close();
  hostService?.close();
});

describe('networks', () => {
  let fixedPort: number;

  it('creates, lists, filters and inspects a user-defined network, refusing duplicates and overlaps with dockerd words', async () => {
    const id = (await ok('network', 'create', '--subnet', '10.77.0.0/24', '--gateway', '10.77.0.1', '--label', 'purpose=test', 'testnet')).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const names = (await ok('network', 'ls', '--format', '{{.Name}}')).trim().split('\n').sort();
    expect(names).toEqual(['bridge', 'none', 'testnet']);
    expect((await ok('network', 'ls', '-q', '--filter', 'label=purpose=test')).trim()).toBe(id.slice(0, 12));
    expect((await ok('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Driver}}', 'testnet')).trim()).toBe('10.77.0.0/24 10.77.0.1 bridge');
    expect((await ok('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'bridge')).trim()).toBe('172.16.0.0/16');
    const duplicate = await docker('network', 'create', 'testnet');
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toContain('network with name testnet already exists');
    const overlap = await docker('network', 'create', '--subnet', '10.77.0.128/25', 'other');
    expect(overlap.stderr).toContain('Pool overlaps with other one on this address space');
    // Through the API: the CLI takes a 404 from create for a missing image and tries to pull it first.
    const missing = await fetch(`${vch.endpoint.dockerHost.replace('tcp:', 'http:')}/containers/create`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ Image: 'busybox', HostConfig: { NetworkMode: 'nosuchnet' } }),
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'network nosuchnet not found' });
  });

  it('publishes a busybox httpd to the host on a fixed and a random port, shown by docker port', async () => {
    fixedPort = await freePort();
    await ok(
      'run', '-d', '--name', 'web', '--network', 'testnet', '--network-alias', 'www',
      '-p', `${fixedPort}:80`, '-p', '8080', '--expose', '9999', '-P',
      'busybox', 'sh', '-c', 'mkdir -p /www && echo hello-from-web > /www/index.html && cp /www/index.html /www/8080.html && (httpd -p 8080 -h /www &) && exec httpd -f -p 80 -h /www',
    );
    expect(await fetchWhenUp(`http://127.0.0.1:${fixedPort}/`)).toBe('hello-from-web\n');
    const random = (await ok('port', 'web', '8080')).trim().split('\n')[0]!;
    expect(random).toMatch(/^0\.0\.0\.0:\d+$/);
    expect(await fetchWhenUp(`http://127.0.0.1:${random.split(':')[1]}/8080.html`)).toBe('hello-from-web\n');
    expect((await ok('port', 'web', '80')).trim()).toBe(`0.0.0.0:${fixedPort}`);
    expect((await ok('port', 'web', '9999')).trim()).toMatch(/^0\.0\.0\.0:\d+$/);
    expect(await ok('ps', '--filter', 'name=web', '--format', '{{.Ports}}')).toContain(`0.0.0.0:${fixedPort}->80/tcp`);
    expect((await ok('inspect', '-f', '{{.NetworkSettings.Networks.testnet.IPAddress}}', 'web')).trim()).toBe('10.77.0.2');
  }, 180_000);

  it('refuses a host port another container holds, at start, with dockerd words', async () => {
    const conflict = await docker('run', '-d', '--name', 'web2', '-p', `${fixedPort}:80`, 'busybox', 'true');
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain(`Bind for 0.0.0.0:${fixedPort} failed: port is already allocated`);
    await ok('rm', 'web2');
  });

  it('lets containers on the same network reach each other by name, alias and IP, and reach a service on the host', async () => {
    const hostPort = (hostService.address() as AddressInfo).port;
    await ok(
      'run', '-d', '--name', 'client', '--network', 'testnet', '--ip', '10.77.0.50', '--hostname', 'client-host',
      '--link', 'web:weblink', '--dns', '10.0.2.3', '--dns-search', 'example.test', '--add-host', 'extra.test:10.1.2.3',
      'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc',
    );
    const out = await ok(
      'exec', 'client', 'sh', '-c',
      `wget -qO- http://web/ && wget -qO- http://www/ && wget -qO- http://weblink/ && ping -c 1 -W 10 10.77.0.2 >/dev/null && echo ping-ok && wget -qO- http://10.0.2.2:${hostPort}/ && cat /etc/resolv.conf && grep -e client-host -e extra.test /etc/hosts`,
    );
    expect(out.split('\n')).toEqual([
      'hello-from-web', 'hello-from-web', 'hello-from-web', 'ping-ok', 'from-the-host',
      // dockerd's embedded DNS on a user-defined network; --dns is its upstream.
      'nameserver 127.0.0.11', 'search example.test', 'options ndots:0', '10.77.0.50\tclient-host', '10.1.2.3\textra.test', '',
    ]);
    // web started first: it learned the name of the container that joined after it, in /etc/hosts
    // and in its embedded DNS (busybox nslookup asks the server in resolv.conf, never /etc/hosts).
    expect(await ok('exec', 'web', 'wget', '-qO-', 'http://client/hostname')).toBe('client-host\n');
    expect(await ok('exec', 'web', 'nslookup', 'client')).toContain('Address: 10.77.0.50');
    await ok('stop', '-t', '1', 'client');
    const gone = await docker('exec', 'web', 'grep', '-c', 'client', '/etc/hosts');
    expect(gone.stdout.trim()).toBe('0');
  }, 180_000);

  it('connects a running container to the default bridge (hot-plugged NIC), where another container reaches it by IP, and disconnects it', async () => {
    await ok('network', 'connect', 'bridge', 'web');
    const address = (await ok('inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', 'web')).trim();
    expect(address).toMatch(/^172\.16\.0\.\d+$/);
    expect((await ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web')).trim()).toBe(address);
    expect(await ok('run', '--rm', 'busybox', 'wget', '-qO-', `http://${address}/`)).toBe('hello-from-web\n');
    const before = (await ok('exec', 'web', 'ls', '/sys/class/net')).trim().split(/\s+/).length;
    await ok('network', 'disconnect', 'bridge', 'web');
    expect((await ok('exec', 'web', 'ls', '/sys/class/net')).trim().split(/\s+/).length).toBe(before - 1);
    expect((await ok('inspect', '-f', '{{len .NetworkSettings.Networks}}', 'web')).trim()).toBe('1');
  }, 180_000);

  it('gives a container on --network none only loopback, one on an internal network no way out, and refuses --ip on the default bridge with dockerd words', async () => {
    expect((await ok('run', '--rm', '--network', 'none', 'busybox', 'ls', '/sys/class/net')).trim()).toBe('lo');
    await ok('network', 'create', '--internal', 'inside');
    expect((await ok('run', '--rm', '--network', 'inside', 'busybox', 'sh', '-c', 'ls /sys/class/net; ip route')).trim().split('\n')).toEqual([
      'eth0', 'lo', '172.17.0.0/16 dev eth0 scope link  src 172.17.0.2',
    ]);
    await ok('network', 'rm', 'inside');
    const refused = await docker('create', '--ip', '172.16.0.9', 'busybox');
    expect(refused.stderr).toContain('user specified IP address is supported on user defined networks only');
  }, 180_000);

  it('shows the running container in the network, and refuses to remove the network while it runs', async () => {
    const attached = (await ok('network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}', 'testnet')).trim();
    expect(attached).toBe('web 10.77.0.2/24');
    const id = (await ok('network', 'inspect', '-f', '{{.Id}}', 'testnet')).trim();
    const refused = await docker('network', 'rm', 'testnet');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`error while removing network: network testnet id ${id} has active endpoints`);
    const predefined = await docker('network', 'rm', 'bridge');
    expect(predefined.stderr).toContain('bridge is a pre-defined network and cannot be removed');
  });

  it('frees the ports and the network once the container is gone, and prunes unused networks', async () => {
    await ok('rm', '-f', 'web', 'client');
    await ok('network', 'create', 'spare');
    expect((await ok('network', 'rm', 'testnet')).trim()).toBe('testnet');
    expect((await ok('network', 'prune', '-f')).trim()).toContain('spare');
    expect((await ok('network', 'ls', '--format', '{{.Name}}')).trim().split('\n').sort()).toEqual(['bridge', 'none']);
  });
});

describe('networks across an endpoint restart (live restore)', () => {
  let live: BusyboxVch;

  beforeAll(async () => {
    live = await startBusyboxVch('endpoint-networks-live', { liveRestore: true });
  }, 1_200_000);

  afterAll(async () => {
    await live?.close();
  });

  it('keeps a running container its address and published port, and gives neither to another container', async () => {
    const hostPort = await freePort();
    await live.ok('network', 'create', '--subnet', '10.88.0.0/24', 'livenet');
    await live.ok('run', '-d', '--name', 'kept', '--network', 'livenet', '-p', `${hostPort}:80`, 'busybox', 'sh', '-c', 'mkdir -p /www && echo kept > /www/index.html && exec httpd -f -p 80 -h /www');
    expect(await fetchWhenUp(`http://127.0.0.1:${hostPort}/`)).toBe('kept\n');
    await live.restart();
    expect((await live.ok('port', 'kept', '80')).trim()).toBe(`0.0.0.0:${hostPort}`);
    expect(await fetchWhenUp(`http://127.0.0.1:${hostPort}/`)).toBe('kept\n');
    const conflict = await live.docker('run', '-d', '--name', 'thief', '-p', `${hostPort}:80`, 'busybox', 'true');
    expect(conflict.stderr).toContain(`Bind for 0.0.0.0:${hostPort} failed: port is already allocated`);
    const out = await live.ok('run', '--rm', '--network', 'livenet', 'busybox', 'sh', '-c', 'ip -4 addr show eth0 | grep -o "inet [0-9.]*"; wget -qO- http://kept/');
    expect(out).toBe('inet 10.88.0.3\nkept\n');
  }, 300_000);
});
