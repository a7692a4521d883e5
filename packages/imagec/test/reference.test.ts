import { describe, expect, it } from 'vitest';
import {
  familiarName,
  familiarString,
  fullString,
  parseDigest,
  parseReference,
  withDefaultTag,
  type ImageReference,
} from '../src/index';

const hex64 = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a';
const sha = `sha256:${'a'.repeat(64)}`;

function parsed(input: string): ImageReference {
  const result = parseReference(input);
  if (!result.ok) throw new Error(`expected ${input} to parse, got: ${result.error.message}`);
  return result.value;
}

function errorOf(input: string): string {
  const result = parseReference(input);
  if (result.ok) throw new Error(`expected ${input} to be rejected, got ${fullString(result.value)}`);
  return result.error.message;
}

describe('parseReference normalises as docker pull does', () => {
  it.each([
    // input, full string with default tag, familiar string
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/busybox:1.35', 'docker.io/library/busybox:1.35', 'busybox:1.35'],
    ['docker/docker', 'docker.io/docker/docker:latest', 'docker/docker:latest'],
    ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
    ['127.0.0.1:5000/library/busybox:1.35', '127.0.0.1:5000/library/busybox:1.35', '127.0.0.1:5000/library/busybox:1.35'],
    ['localhost/foo', 'localhost/foo:latest', 'localhost/foo:latest'],
    ['localhost:5000/foo/bar:v1', 'localhost:5000/foo/bar:v1', 'localhost:5000/foo/bar:v1'],
    [`registry.example.com:8443/a/b/c@${sha}`, `registry.example.com:8443/a/b/c@${sha}`, `registry.example.com:8443/a/b/c@${sha}`],
    [`busybox:1.35@${sha}`, `docker.io/library/busybox:1.35@${sha}`, `busybox:1.35@${sha}`],
    ['[::1]:5000/foo', '[::1]:5000/foo:latest', '[::1]:5000/foo:latest'],
    ['[fc00:1:2:3:4:5:6:7]:5000/library/debian', '[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest', '[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest'],
    ['Docker/docker', 'Docker/docker:latest', 'Docker/docker:latest'],
    [`docker.io/${hex64}`, `docker.io/library/${hex64}:latest`, `${hex64}:latest`],
  ])('%s → %s', (input, full, familiar) => {
    const reference = withDefaultTag(parsed(input));
    expect(fullString(reference)).toBe(full);
    expect(familiarString(reference)).toBe(familiar);
  });

  it('splits a reference into domain, path, tag and digest', () => {
    expect(parsed(`registry.example.com:8443/a/b/c:v2@${sha}`)).toEqual({
      domain: 'registry.example.com:8443',
      path: 'a/b/c',
      tag: 'v2',
      digest: { algorithm: 'sha256', encoded: 'a'.repeat(64) },
    });
  });

  it('gives a bare name the latest tag, but leaves a digest-only reference untagged', () => {
    expect(withDefaultTag(parsed('busybox')).tag).toBe('latest');
    expect(withDefaultTag(parsed(`busybox@${sha}`)).tag).toBeUndefined();
  });

  it('shows Hub official images by their short name', () => {
    expect(familiarName(parsed('docker.io/library/ubuntu'))).toBe('ubuntu');
    expect(familiarName(parsed('quay.io/library/ubuntu'))).toBe('quay.io/library/ubuntu');
  });

  it.each([
    'docker/docker', 'library/debian', 'debian', 'localhost/library/debian', 'localhost/debian',
    'LOCALDOMAIN/library/debian', 'LOCALDOMAIN/debian', 'docker.io/docker/docker',
    'index.docker.io/library/debian', '127.0.0.1:5000/debian', '192.168.0.1', '192.168.0.1:80',
    '192.168.0.1:8/debian', '[fc00::1]:5000/docker/docker', 'DOCKER/docker',
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    'docker-rules/docker', 'docker---rules/docker', 'd/docker', 'jess/t', 'dock__er/docker',
  ])('accepts %s (distribution TestValidateReferenceName)', (input) => {
    expect(parseReference(input).ok).toBe(true);
  });
});

describe('parseReference rejects what docker rejects, with the same words', () => {
  it.each([
    ['FOO', 'invalid reference format: repository name (library/FOO) must be lowercase'],
    ['docker/Docker', 'invalid reference format: repository name (docker/Docker) must be lowercase'],
    ['docker.io/docker/Docker:tag', 'invalid reference format: repository name (docker/Docker) must be lowercase'],
    [hex64, `invalid repository name (${hex64}), cannot specify 64-byte hexadecimal strings`],
    ['', 'invalid reference format'],
    ['https://github.com/docker/docker', 'invalid reference format'],
    ['-docker', 'invalid reference format'],
    ['-docker/docker', 'invalid reference format'],
    ['-docker.io/docker/docker', 'invalid reference format'],
    ['docker///docker', 'invalid reference format'],
    ['docker.io/docker///docker', 'invalid reference format'],
    ['[fc00::1]', 'invalid reference format'],
    ['[fc00::1]:5000', 'invalid reference format'],
    ['fc00::1:5000/debian', 'invalid reference format'],
    ['[fe80::1%eth0]:5000/debian', 'invalid reference format'],
    ['[2001:db8:3:4::192.0.2.33]:5000/debian', 'invalid reference format'],
    ['busybox:', 'invalid reference format'],
    ['busybox:-tag', 'invalid reference format'],
    ['busybox:.tag', 'invalid reference format'],
    [`busybox:${'a'.repeat(129)}`, 'invalid reference format'],
    ['busybox:a:b', 'invalid reference format'],
    ['localhost:port/foo', 'invalid reference format'],
    ['busybox@sha256:abc', 'invalid reference format'],
    [`busybox@sha256:${'a'.repeat(63)}`, 'invalid checksum digest length'],
    [`busybox@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
    [`busybox@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
  ])('%j → %s', (input, message) => {
    expect(errorOf(input)).toBe(message);
  });

  it('accepts a tag of exactly 128 characters', () => {
    expect(parsed(`busybox:${'a'.repeat(128)}`).tag).toHaveLength(128);
  });

  it('limits the repository path, not the domain, to 255 characters', () => {
    const path255 = `a/${'b'.repeat(253)}`;
    expect(parsed(`example.com/${path255}`).path).toHaveLength(255);
    expect(errorOf(`example.com/${path255}b`)).toBe('repository name must not be more than 255 characters');
    // On Hub the library/ prefix counts, as it does in docker.
    expect(errorOf('a'.repeat(248))).toBe('repository name must not be more than 255 characters');
    expect(parsed('a'.repeat(247)).path).toHaveLength(255);
  });

  it('reports each failure with a stable code', () => {
    expect(parseReference('FOO')).toEqual({
      ok: false,
      error: { code: 'NAME_CONTAINS_UPPERCASE', message: 'invalid reference format: repository name (library/FOO) must be lowercase' },
    });
    expect(parseReference(hex64)).toMatchObject({ ok: false, error: { code: 'NAME_IS_IDENTIFIER' } });
    expect(parseReference('a:b:c')).toMatchObject({ ok: false, error: { code: 'INVALID_REFERENCE_FORMAT' } });
  });
});

describe('parseDigest follows go-digest', () => {
  it.each([
    ['sha256', 'invalid checksum digest format'],
    ['sha256:', 'invalid checksum digest format'],
    [':abc', 'invalid checksum digest format'],
    [`sha256:${'a'.repeat(65)}`, 'invalid checksum digest length'],
    [`sha256:${'g'.repeat(64)}`, 'invalid checksum digest format'],
    [`foo:${'a'.repeat(64)}`, 'unsupported digest algorithm'],
    [`FOO:${'a'.repeat(64)}`, 'invalid checksum digest format'],
  ])('%s → %s', (input, message) => {
    const result = parseDigest(input);
    expect(result.ok ? 'ok' : result.error.message).toBe(message);
  });

  it('accepts sha256 and sha512', () => {
    expect(parseDigest(sha)).toEqual({ ok: true, value: { algorithm: 'sha256', encoded: 'a'.repeat(64) } });
    expect(parseDigest(`sha512:${'0'.repeat(128)}`).ok).toBe(true);
  });
});
