import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  requireByInventoryPath,
  SERVICE_INSTANCE,
  UntrustedCertificateError,
  VimFault,
  VimSession,
  waitForProperties,
  WaitTimeoutError,
  type CertificatePolicy,
} from '../packages/vsphere/src/index';
import { startVcsim, type Vcsim } from './support/vcsim';

let vcsim: Vcsim;
let sha1: string;
let sha256: string;

const insecure: CertificatePolicy = { kind: 'insecure' };
const login = (certificate: CertificatePolicy, password?: string): Promise<VimSession> =>
  VimSession.login({ url: vcsim.url, username: vcsim.username, password: password ?? vcsim.password, certificate });

/** The simulator's certificate fingerprints, read with a plain TLS handshake (independent of the client). */
function serverThumbprints(): Promise<{ sha1: string; sha256: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: vcsim.host, port: vcsim.port, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve({ sha1: cert.fingerprint, sha256: cert.fingerprint256 });
    });
    socket.once('error', reject);
  });
}

beforeAll(async () => {
  vcsim = await startVcsim();
  ({ sha1, sha256 } = await serverThumbprints());
});
afterAll(async () => {
  await vcsim?.stop();
});

describe('vSphere session', () => {
  it('logs in with the vmware_soap_session cookie and logs out', async () => {
    const session = await login(insecure);
    expect(session.serviceContent.about.apiType).toBe('VirtualCenter');
    expect(session.http.cookie).toMatch(/^vmware_soap_session=.+/);
    await session.call('CurrentTime', SERVICE_INSTANCE);
    await session.logout();

    const calls = await vcsim.calls();
    const current = calls.filter((call) => call.method === 'CurrentTime');
    expect(current.at(-1)?.status).toBe(200);
    expect(calls.at(-1)).toMatchObject({ method: 'Logout', status: 200 });
    await expect(session.call('CurrentTime', SERVICE_INSTANCE)).rejects.toThrow(/logged out/);
  });

  it('refuses a wrong password with the InvalidLogin fault', async () => {
    const error = await login(insecure, 'wrong').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VimFault);
    expect((error as VimFault).faultName).toBe('InvalidLogin');
    // The server's faultstring, verbatim (vCenter: "Cannot complete login due to an incorrect user name or password.").
    expect((error as VimFault).message).toBe('Login failure');
  });

  it('accepts a pinned SHA-1 or SHA-256 thumbprint, in any case and with or without colons', async () => {
    for (const thumbprint of [sha1, sha256.toLowerCase(), sha1.replaceAll(':', '')]) {
      const session = await login({ kind: 'thumbprint', thumbprint });
      await session.logout();
    }
  });

  it('refuses a server whose thumbprint does not match the pin, before sending the password', async () => {
    const before = (await vcsim.calls()).length;
    const wrong = sha1.replace(/^../, sha1.startsWith('00') ? '11' : '00');
    const error = await login({ kind: 'thumbprint', thumbprint: wrong }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UntrustedCertificateError);
    expect((error as UntrustedCertificateError).thumbprintSha1).toBe(sha1);
    expect((error as Error).message).toContain(`(thumbprint=${sha1})`);
    expect((error as Error).message).toContain(`thumbprint does not match "${wrong}"`);
    expect((await vcsim.calls()).length).toBe(before);
  });

  it('refuses an untrusted self-signed certificate by default, naming its thumbprint as VIC did', async () => {
    const error = await login({ kind: 'ca' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UntrustedCertificateError);
    expect((error as Error).message).toBe(
      `Failed to verify certificate for target=${vcsim.host}:${vcsim.port} (thumbprint=${sha1}): ${(error as UntrustedCertificateError).reason}`,
    );
    expect((error as UntrustedCertificateError).reason).toMatch(/self[- ]signed|unable to verify|CERT/i);
  });

  it('rejects a malformed thumbprint with a clear error', async () => {
    await expect(login({ kind: 'thumbprint', thumbprint: 'AB:CD' })).rejects.toThrow(/invalid thumbprint "AB:CD"/);
  });

  it('logs in again transparently after the session is terminated behind its back', async () => {
    const session = await login(insecure);
    const watcher = await login(insecure);
    const firstCookie = session.http.cookie;
    const key = firstCookie!.split('=')[1]!;
    await watcher.call('TerminateSession', watcher.serviceContent.sessionManager, { sessionId: [key] });

    await session.call('CurrentTime', SERVICE_INSTANCE);
    expect(session.http.cookie).not.toBe(firstCookie);

    const calls = (await vcsim.calls()).filter((call) => call.method === 'CurrentTime' || call.method === 'Login');
    expect(calls.slice(-3).map((call) => [call.method, call.fault ?? ''])).toEqual([
      ['CurrentTime', 'NotAuthenticated'],
      ['Login', ''],
      ['CurrentTime', ''],
    ]);
    await session.logout();
    await watcher.logout();
  });

  it('shares one new login among concurrent calls that all found the session gone', async () => {
    const session = await login(insecure);
    const admin = await login(insecure);
    const key = session.http.cookie!.split('=')[1]!;
    await admin.call('TerminateSession', admin.serviceContent.sessionManager, { sessionId: [key] });
    await admin.logout();
    const loginsBefore = (await vcsim.calls()).filter((call) => call.method === 'Login').length;

    const times = await Promise.all([1, 2, 3].map(() => session.call('CurrentTime', SERVICE_INSTANCE)));
    expect(times.every((time) => time instanceof Date)).toBe(true);
    const loginsAfter = (await vcsim.calls()).filter((call) => call.method === 'Login').length;
    expect(loginsAfter - loginsBefore).toBe(1);
    await session.logout();
  });

  it('keeps an idle session alive with CurrentTime', async () => {
    const session = await VimSession.login({
      url: vcsim.url,
      username: vcsim.username,
      password: vcsim.password,
      certificate: insecure,
      keepAliveMs: 100,
    });
    const key = session.http.cookie!.split('=')[1]!;
    const pings = async (): Promise<number> =>
      (await vcsim.calls()).filter((call) => call.method === 'CurrentTime' && call.session === key).length;
    await expect.poll(pings, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await session.logout();
    const afterLogout = await pings();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await pings()).toBe(afterLogout);
  });

  it('bounds a property wait with a timeout', async () => {
    const session = await login(insecure);
    const host = await requireByInventoryPath(session, 'DC0/host/DC0_C0/DC0_C0_H0', 'host');
    const error = await waitForProperties(session, host, ['name'], (values) => values.name === 'never', { timeoutMs: 1_500 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toMatch(/timed out after 1500 ms waiting for HostSystem .* \(name\)/);
    // The watcher's private PropertyCollector is destroyed even when the wait fails.
    expect((await vcsim.calls()).filter((call) => call.method === 'DestroyPropertyCollector').at(-1)?.status).toBe(200);
    await session.logout();
  });
});
