import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VicMachineError } from '../apps/vic-machine/src/errors';
import { certificatePolicy } from '../apps/vic-machine/src/vsphere/certificate-trust';
import { checkVspherePrerequisites, type PrerequisiteFlags } from '../apps/vic-machine/src/vsphere/prerequisites';
import { parseVsphereTarget, type VsphereTarget } from '../apps/vic-machine/src/vsphere/vsphere-target';
import { startVcsim, type Vcsim } from './support/vcsim';

describe('vic-machine --target for vSphere', () => {
  it('reads user, password, host, port and datacenter from the target', () => {
    expect(parseVsphereTarget({ target: 'root:secret@esx.example.com' })).toEqual({
      host: 'esx.example.com',
      sdkUrl: 'https://esx.example.com/sdk',
      username: 'root',
      password: 'secret',
    });
    expect(parseVsphereTarget({ target: 'https://administrator@vsphere.local:p%40ss@vc:8443/DC0' })).toEqual({
      host: 'vc:8443',
      sdkUrl: 'https://vc:8443/sdk',
      username: 'administrator@vsphere.local',
      password: 'p@ss',
      datacenter: 'DC0',
    });
  });

  it('lets --user and --password override the target and accepts an empty password given as such', () => {
    expect(parseVsphereTarget({ target: 'a:b@vc/Folder/DC1', user: 'u', password: 'p' })).toMatchObject({ username: 'u', password: 'p', datacenter: 'Folder/DC1' });
    expect(parseVsphereTarget({ target: 'root:@esx' })).toMatchObject({ username: 'root', password: '' });
  });

  it('says what is missing or wrong, with VIC wording where VIC had one', () => {
    const message = (flags: Parameters<typeof parseVsphereTarget>[0]): string => {
      try {
        parseVsphereTarget(flags);
      } catch (error) {
        expect(error).toBeInstanceOf(VicMachineError);
        return (error as Error).message;
      }
      throw new Error('expected a VicMachineError');
    };
    expect(message({ target: undefined })).toBe('--target argument must be specified');
    expect(message({ target: 'vc.example.com' })).toBe('User to login must be specified in --user or --target URL');
    expect(message({ target: 'root@vc.example.com' })).toBe('Password to login must be specified in --password or --target URL');
    expect(message({ target: 'http://root:x@vc' })).toBe('--target "http://root:x@vc": vSphere is reached over https, not http');
    expect(message({ target: 'root:x@vc/sdk' })).toBe('--target "root:x@vc/sdk": give the host (and datacenter), not the /sdk endpoint');
    expect(message({ target: 'root:x@[bad' })).toBe('--target "root:x@[bad" is not a vSphere address: expected [user:password@]host[/datacenter]');
  });

  it('maps --thumbprint and --force to a certificate policy and refuses a malformed thumbprint', () => {
    expect(certificatePolicy({})).toEqual({ kind: 'ca' });
    expect(certificatePolicy({ force: true })).toEqual({ kind: 'insecure' });
    expect(certificatePolicy({ thumbprint: 'ab'.repeat(20) })).toEqual({ kind: 'thumbprint', thumbprint: Array(20).fill('AB').join(':') });
    expect(() => certificatePolicy({ thumbprint: 'zz' })).toThrow('--thumbprint: invalid thumbprint "zz": expected a SHA-1 or SHA-256 fingerprint in hex');
  });
});

describe('vic-machine vSphere prerequisites against vcsim', () => {
  let vcsim: Vcsim;
  let target: VsphereTarget;
  let sha1: string;

  beforeAll(async () => {
    vcsim = await startVcsim();
    target = parseVsphereTarget({ target: `${vcsim.username}:${vcsim.password}@${vcsim.host}:${vcsim.port}` });
    sha1 = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: vcsim.host, port: vcsim.port, rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate().fingerprint);
        socket.end();
      });
      socket.once('error', reject);
    });
  });
  afterAll(async () => {
    await vcsim?.stop();
  });

  const check = (flags: PrerequisiteFlags, over: Partial<VsphereTarget> = {}) => checkVspherePrerequisites({ ...target, ...over }, flags);
  const failure = async (flags: PrerequisiteFlags, over: Partial<VsphereTarget> = {}): Promise<string> => {
    const error = await check(flags, over).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VicMachineError);
    return (error as Error).message;
  };

  it('refuses an untrusted certificate, printing the thumbprint to pass, then accepts it pinned', async () => {
    const message = await failure({ computeResource: 'DC0_C0' });
    expect(message).toContain(`Failed to verify certificate for target=${vcsim.host}:${vcsim.port} (thumbprint=${sha1})`);
    expect(message).toContain(`run again with --thumbprint ${sha1}`);
    const environment = await check({ thumbprint: sha1, computeResource: 'DC0_C0' });
    await environment.session.logout();
  });

  it('resolves datacenter, cluster pool, image store and networks, as the inventory has them', async () => {
    const environment = await check({ force: true, computeResource: 'DC0_C0', imageStore: 'LocalDS_0/vch1', bridgeNetwork: 'DC0_DVPG0' });
    const inventory = await vcsim.inventory();
    const clusterPool = inventory.pools.find((pool) => (pool.parent as { type: string }).type === 'ClusterComputeResource')!;
    expect(environment.apiType).toBe('VirtualCenter');
    expect(environment.datacenter.path).toBe('DC0');
    expect(environment.pool).toEqual({ ref: clusterPool.ref, path: 'DC0/host/DC0_C0/Resources' });
    expect(environment.imageStore).toEqual({ ref: inventory.datastores[0]!.ref, path: 'LocalDS_0', folder: 'vch1' });
    expect(environment.publicNetwork.path).toBe('VM Network');
    expect(environment.bridgeNetwork?.ref.type).toBe('DistributedVirtualPortgroup');
    await environment.session.logout();
  });

  it('needs --compute-resource when there are several, and suggests them', async () => {
    expect(await failure({ force: true })).toBe(
      'No unambiguous default compute resource available: --compute-resource must be specified. Suggested values for --compute-resource: "DC0_C0", "DC0_H0"',
    );
  });

  it('reports every missing resource at once, in govmomi finder wording with suggestions', async () => {
    const message = await failure({ force: true, computeResource: 'nope', imageStore: 'missing', publicNetwork: 'lan', bridgeNetwork: 'bridge' });
    expect(message.split('\n')).toEqual([
      `compute resource 'nope' not found. Suggested values for --compute-resource: "DC0_C0", "DC0_H0"`,
      `datastore 'missing' not found. Suggested values for --image-store: "LocalDS_0"`,
      `network 'lan' not found. Suggested values for --public-network: "DC0_DVPG0", "DVS0-DVUplinks-9", "VM Network"`,
      `network 'bridge' not found. Suggested values for --bridge-network: "DC0_DVPG0", "DVS0-DVUplinks-9", "VM Network"`,
    ]);
  });

  it('refuses a distributed switch given as a network', async () => {
    expect(await failure({ force: true, computeResource: 'DC0_C0', bridgeNetwork: 'DVS0' })).toBe(
      `network 'DVS0' not found. Suggested values for --bridge-network: "DC0_DVPG0", "DVS0-DVUplinks-9", "VM Network"`,
    );
  });

  it('names a datacenter that does not exist, and a wrong password', async () => {
    expect(await failure({ force: true }, { datacenter: 'DC9' })).toBe("datacenter 'DC9' not found");
    expect(await failure({ force: true }, { password: 'wrong' })).toBe(`Failed to log in to ${vcsim.host}:${vcsim.port} as ${vcsim.username}: Login failure`);
  });

  it('says when vSphere cannot be reached', async () => {
    expect(await failure({ force: true }, { host: '127.0.0.1:1', sdkUrl: 'https://127.0.0.1:1/sdk' })).toMatch(/^Cannot connect to 127\.0\.0\.1:1: .*ECONNREFUSED/);
  });
});
