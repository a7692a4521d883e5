import { describe, expect, it } from 'vitest';
import { parseCapacity } from '../../src/volumes/capacity';
import { parseApiMount, parseBind, parseContainerMounts, parseVolumesFrom } from '../../src/volumes/mount-request';

describe('parseBind (-v)', () => {
  it('reads named volumes, host directories and anonymous volumes with their modes', () => {
    expect(parseBind('data:/data:ro')).toEqual({ ok: true, value: { type: 'volume', name: 'data', target: '/data', readOnly: true, copyImageContent: true } });
    expect(parseBind('data:/data:nocopy')).toMatchObject({ ok: true, value: { copyImageContent: false, readOnly: false } });
    expect(parseBind('/srv/x/:/x/:rw')).toEqual({ ok: true, value: { type: 'bind', source: '/srv/x/', target: '/x', readOnly: false, createSource: true } });
    expect(parseBind('/data')).toEqual({ ok: true, value: { type: 'volume', target: '/data', readOnly: false, copyImageContent: true } });
  });

  it('refuses what dockerd refuses', () => {
    expect(parseBind('data:/data:rx')).toMatchObject({ ok: false, error: { message: 'invalid mode: rx' } });
    expect(parseBind('data:/data:ro,rw')).toMatchObject({ ok: false, error: { message: 'invalid mode: ro,rw' } });
    expect(parseBind('data:relative')).toMatchObject({ ok: false, error: { message: "invalid volume specification: 'data:relative': invalid mount path: 'relative' mount path must be absolute" } });
    expect(parseBind('data:/')).toMatchObject({ ok: false, error: { message: "invalid specification: destination can't be '/'" } });
    expect(parseBind('a:b:c:d')).toMatchObject({ ok: false, error: { message: "invalid volume specification: 'a:b:c:d'" } });
  });
});

describe('parseApiMount (--mount)', () => {
  it('reads volume and bind mounts', () => {
    expect(parseApiMount({ Type: 'volume', Source: 'v', Target: '/v', ReadOnly: true, VolumeOptions: { NoCopy: true, DriverConfig: { Name: 'vsphere', Options: { Capacity: '2GB' } } } })).toEqual({
      ok: true,
      value: { type: 'volume', name: 'v', target: '/v', readOnly: true, copyImageContent: false, driver: 'vsphere', driverOpts: { Capacity: '2GB' } },
    });
    expect(parseApiMount({ Type: 'bind', Source: '/h', Target: '/c' })).toEqual({ ok: true, value: { type: 'bind', source: '/h', target: '/c', readOnly: false, createSource: false } });
  });

  it('refuses a bind without a source and types vic does not have', () => {
    expect(parseApiMount({ Type: 'bind', Target: '/c' })).toMatchObject({ ok: false, error: { message: 'invalid mount config for type "bind": field Source must not be empty' } });
    expect(parseApiMount({ Type: 'tmpfs', Target: '/t' })).toMatchObject({ ok: false, error: { message: 'mount type "tmpfs" is not supported by vic' } });
  });
});

describe('parseContainerMounts', () => {
  it('orders parents first, lets explicit mounts replace an image VOLUME and refuses a target given twice', () => {
    const parsed = parseContainerMounts({ binds: ['a:/srv/a/b', 'b:/srv'], mounts: [], volumePaths: ['/srv', '/var/lib'] });
    expect(parsed.ok && parsed.value.map((mount) => mount.target)).toEqual(['/srv', '/var/lib', '/srv/a/b']);
    expect(parseContainerMounts({ binds: ['a:/x'], mounts: [{ Type: 'volume', Target: '/x/' }], volumePaths: [] })).toMatchObject({ ok: false, error: { message: 'Duplicate mount point: /x' } });
  });
});

describe('parseCapacity', () => {
  it('reads megabytes with or without a unit', () => {
    expect(parseCapacity('512')).toEqual({ ok: true, value: 512 });
    expect(parseCapacity('512MB')).toEqual({ ok: true, value: 512 });
    expect(parseCapacity('2GB')).toEqual({ ok: true, value: 2048 });
    expect(parseCapacity('1.5g')).toEqual({ ok: true, value: 1536 });
  });

  it('refuses nonsense and sizes too small for ext4', () => {
    expect(parseCapacity('lots').ok).toBe(false);
    expect(parseCapacity('2PB').ok).toBe(false);
    expect(parseCapacity('1MB')).toMatchObject({ ok: false, error: { message: 'invalid Capacity "1MB": a volume needs at least 16MB' } });
  });
});

describe('parseVolumesFrom', () => {
  it('reads container[:ro|rw] and refuses other modes', () => {
    expect(parseVolumesFrom('data')).toEqual({ ok: true, value: { container: 'data', readOnly: false } });
    expect(parseVolumesFrom('data:ro')).toEqual({ ok: true, value: { container: 'data', readOnly: true } });
    expect(parseVolumesFrom('data:z')).toMatchObject({ ok: false, error: { message: 'invalid mode: z' } });
  });

  it('skips an image VOLUME where an inherited mount already is, and lets an explicit mount replace one', () => {
    const parsed = parseContainerMounts({ binds: ['v:/inherited'], mounts: [], volumePaths: ['/inherited', '/other'], inheritedTargets: ['/inherited', '/kept'] });
    expect(parsed.ok && parsed.value.map((mount) => mount.target)).toEqual(['/inherited', '/other']);
    const skipped = parseContainerMounts({ binds: [], mounts: [], volumePaths: ['/kept'], inheritedTargets: ['/kept'] });
    expect(skipped.ok && skipped.value).toEqual([]);
  });
});
