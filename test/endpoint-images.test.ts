import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerCli, type DockerResult } from './support/docker-cli';
import { startTestEndpoint, type TestEndpoint } from './support/endpoint';
import { publishTestImages, type PublishedImages } from './support/images';
import { startTestRegistries, type TestRegistries } from './support/registry';

/* The image half of the Engine API, driven by the real docker CLI (/usr/local/bin/docker, v28) against real registries. */

let work: string;
let registries: TestRegistries;
let images: PublishedImages;
let endpoint: TestEndpoint;
let dockerHost: string;

function docker(...args: string[]): Promise<DockerResult> {
  return dockerCli(dockerHost, join(work, 'docker-config'), args);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vic-endpoint-images-'));
  registries = await startTestRegistries();
  images = await publishTestImages(registries);
  endpoint = await startTestEndpoint(join(work, 'vch'));
  dockerHost = endpoint.dockerHost;
}, 1_200_000);

afterAll(async () => {
  await endpoint?.close();
  await registries?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('docker CLI image commands against a VCH endpoint', () => {
  it('docker version negotiates API 1.45 with the endpoint', async () => {
    const { code, stdout } = await docker('version', '--format', '{{.Server.APIVersion}} {{.Client.APIVersion}} {{.Server.Os}}');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('1.45 1.45 linux');
  });

  it('docker pull shows dockerd\'s progress and the image then lists, inspects and shows its history', async () => {
    const reference = `${registries.anonymous.host}/${images.debian.repository}:${images.debian.tag}`;
    const pulled = await docker('pull', reference);
    expect(pulled.stderr).toBe('');
    expect(pulled.stdout).toContain(`${images.debian.tag}: Pulling from ${images.debian.repository}`);
    expect(pulled.stdout).toContain('Pull complete');
    expect(pulled.stdout).toContain(`Digest: ${images.debian.image.manifestDigest}`);
    expect(pulled.stdout).toContain(`Status: Downloaded newer image for ${reference}`);
    const listed = await docker('images', '--format', '{{.Repository}} {{.Tag}} {{.ID}}');
    expect(listed.stdout).toContain(`${registries.anonymous.host}/${images.debian.repository} ${images.debian.tag} ${images.debian.image.configDigest.slice(7, 19)}`);
    const inspected = await docker('image', 'inspect', '--format', '{{.Id}} {{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}', reference);
    expect(inspected.stdout.trim()).toBe(`${images.debian.image.configDigest} linux/amd64 3`);
    const history = await docker('history', '--format', '{{.CreatedBy}}', reference);
    expect(history.stdout.trim().split('\n')).toEqual(['vic test: delete files', 'vic test: add files', 'debootstrap --variant=minbase bookworm']);
  });

  it('docker tag and docker rmi follow dockerd: untag while another name remains, then delete', async () => {
    const reference = `${registries.anonymous.host}/${images.busybox.repository}:latest`;
    expect((await docker('pull', '-q', reference)).code).toBe(0);
    expect((await docker('tag', reference, 'mybox:v1')).code).toBe(0);
    const untag = await docker('rmi', 'mybox:v1');
    expect(untag.stdout.trim()).toBe('Untagged: mybox:v1');
    const deleted = await docker('rmi', reference);
    expect(deleted.stdout).toContain(`Untagged: ${reference}`);
    expect(deleted.stdout).toContain(`Deleted: ${images.busybox.image.configDigest}`);
    const gone = await docker('image', 'inspect', reference);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`No such image: ${reference}`);
  });

  it('docker save and docker load move an image through an archive', async () => {
    const reference = `${registries.anonymous.host}/${images.busybox.repository}:1.36`;
    expect((await docker('pull', '-q', reference)).code).toBe(0);
    const archive = join(work, 'busybox.tar');
    expect((await docker('save', '-o', archive, reference)).code).toBe(0);
    expect((await docker('rmi', reference)).code).toBe(0);
    const loaded = await docker('load', '-i', archive);
    expect(loaded.stdout).toContain(`Loaded image: ${reference}`);
    const inspected = await docker('image', 'inspect', '--format', '{{.Id}}', reference);
    expect(inspected.stdout.trim()).toBe(images.busybox.image.configDigest);
  });

  it('docker login checks the password with the registry, and later pulls send what it stored', async () => {
    for (const registry of [registries.basic, registries.bearer]) {
      const reference = `${registry.host}/${images.busybox.repository}:latest`;
      const anonymous = await docker('pull', reference);
      expect(anonymous.code).toBe(1);
      const refused = await docker('login', registry.host, '-u', registry.username!, '-p', 'wrong');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/Error response from daemon: .*(401 Unauthorized|incorrect username or password)/);
      const login = await docker('login', registry.host, '-u', registry.username!, '-p', registry.password!);
      expect(login.stdout).toContain('Login Succeeded');
      const pulled = await docker('pull', reference);
      expect(pulled.stdout).toMatch(new RegExp(`Status: (Downloaded newer image|Image is up to date) for ${reference}`));
    }
  });

  it('bad input gets dockerd\'s errors', async () => {
    const unknownTag = await docker('pull', `${registries.anonymous.host}/${images.busybox.repository}:nosuch`);
    expect(unknownTag.code).toBe(1);
    expect(unknownTag.stderr.trim()).toBe(
      `Error response from daemon: manifest for ${registries.anonymous.host}/${images.busybox.repository}:nosuch not found: manifest unknown: manifest unknown`,
    );
    const invalid = await docker('pull', 'Not/Valid');
    expect(invalid.stderr).toContain('invalid reference format');
    const noImage = await docker('rmi', 'nosuch:latest');
    expect(noImage.stderr.trim()).toBe('Error response from daemon: No such image: nosuch:latest');
  });

  it('docker images filters by reference and dangling, refuses unknown filters, and docker image prune -a empties the store', async () => {
    const reference = `${registries.anonymous.host}/${images.busybox.repository}:latest`;
    expect((await docker('pull', '-q', reference)).code).toBe(0);
    expect((await docker('tag', reference, 'filtered:one')).code).toBe(0);
    const byReference = await docker('images', '--filter', 'reference=filtered', '--format', '{{.Repository}}:{{.Tag}}');
    expect(byReference.stdout.trim()).toBe('filtered:one');
    const dangling = await docker('images', '--filter', 'dangling=true', '-q');
    expect(dangling.stdout.trim()).toBe('');
    const unknown = await docker('images', '--filter', 'colour=blue');
    expect(unknown.stderr.trim()).toBe("Error response from daemon: invalid filter 'colour'");
    const pruned = await docker('image', 'prune', '-a', '-f');
    expect(pruned.stdout).toContain('Deleted Images:');
    expect(pruned.stdout).toContain(`deleted: ${images.busybox.image.configDigest}`);
    expect(pruned.stdout).toMatch(/Total reclaimed space: [1-9][\d.]*[kMG]?B/);
    expect((await docker('images', '-q')).stdout.trim()).toBe('');
  });

  it('an endpoint vic does not have answers with Docker\'s error JSON, never a hang', async () => {
    const swarm = await fetch(`${dockerHost.replace('tcp://', 'http://')}/v1.45/swarm`);
    expect(swarm.status).toBe(501);
    expect(await swarm.json()).toEqual({ message: 'GET /swarm is not supported by vic' });
    const unknown = await fetch(`${dockerHost.replace('tcp://', 'http://')}/v1.45/no/such/thing`);
    expect([unknown.status, await unknown.json()]).toEqual([404, { message: 'page not found' }]);
    const tooNew = await fetch(`${dockerHost.replace('tcp://', 'http://')}/v1.99/version`);
    expect([tooNew.status, await tooNew.json()]).toEqual([400, { message: 'client version 1.99 is too new. Maximum supported API version is 1.45' }]);
  });
});
