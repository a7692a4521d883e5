import { fromSoapValue } from '../soap/any-value.js';
import { toSoapMoRef, type MoRef } from '../soap/moref.js';
import { VimConnection, type CallOptions, type VimMethod } from '../soap/vim-connection.js';
import { VimFault } from '../soap/vim-fault.js';
import type { CertificatePolicy } from './certificate-policy.js';
import { SERVICE_INSTANCE, serviceContentFromSoap, type ServiceContent } from './service-content.js';
import { VerifyingAgent } from './verifying-agent.js';

export interface SessionOptions {
  /** The SOAP endpoint, e.g. https://vcenter.example.com/sdk. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly certificate: CertificatePolicy;
  /** How often an idle session is kept alive with CurrentTime (vCenter drops idle sessions after 30 min). */
  readonly keepAliveMs?: number;
}

const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;
const SESSION_COOKIE = /^\s*(vmware_soap_session=[^;]*)/;

/**
 * A logged-in vim25 session. Every call goes through `call`, which logs in again once and retries when
 * the server says NotAuthenticated (the session expired or was terminated), so long-lived users such
 * as the endpoint never see an expiry.
 */
export class VimSession {
  private relogin: Promise<void> | undefined;
  private readonly keepAlive: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly connection: VimConnection,
    private readonly options: SessionOptions,
    readonly serviceContent: ServiceContent,
  ) {
    this.keepAlive = setInterval(() => this.ping(), options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS);
    this.keepAlive.unref();
  }

  static async login(options: SessionOptions): Promise<VimSession> {
    const agent = new VerifyingAgent(options.certificate);
    try {
      const connection = await VimConnection.open(options.url, agent);
      const { returnval } = await connection.call('RetrieveServiceContent', {
        _this: toSoapMoRef(SERVICE_INSTANCE),
      });
      const session = new VimSession(connection, options, serviceContentFromSoap(returnval));
      try {
        await session.authenticate();
      } catch (error) {
        session.stopKeepAlive();
        throw error;
      }
      return session;
    } catch (error) {
      agent.destroy();
      throw error;
    }
  }

  get endpoint(): string {
    return this.connection.endpoint;
  }

  /** The https.Agent (with the certificate policy) and cookie for plain HTTP calls such as /folder. */
  get http(): { readonly agent: VerifyingAgent; readonly cookie: string | undefined } {
    return { agent: this.connection.agent as VerifyingAgent, cookie: this.connection.sessionCookie };
  }

  /** Calls a vim25 method with `_this`, returning its decoded `returnval`. */
  async call(method: VimMethod, _this: MoRef, args: object = {}, options: CallOptions = {}): Promise<unknown> {
    return fromSoapValue(await this.send(method, _this, args, options));
  }

  /** node-soap's parse of `returnval`, after one re-login if the session was gone. */
  private async send(method: VimMethod, _this: MoRef, args: object, options: CallOptions): Promise<unknown> {
    if (this.closed) throw new Error(`vSphere session to ${this.endpoint} is logged out`);
    const attempt = async (): Promise<unknown> =>
      (await this.connection.call(method, { _this: toSoapMoRef(_this), ...args }, options)).returnval;
    await this.relogin;
    const cookie = this.connection.sessionCookie;
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof VimFault) || error.faultName !== 'NotAuthenticated') throw error;
      // Only the first call to find the session gone logs in; calls sent with the same dead cookie that
      // answer later retry with the new one.
      if (this.connection.sessionCookie === cookie) await this.reauthenticate();
      else await this.relogin;
      return attempt();
    }
  }

  async logout(): Promise<void> {
    if (this.closed) return;
    this.stopKeepAlive();
    try {
      await this.connection.call('Logout', { _this: toSoapMoRef(this.serviceContent.sessionManager) });
    } catch (error) {
      // A session that already expired is logged out: that is the state the caller asked for.
      if (!(error instanceof VimFault && error.faultName === 'NotAuthenticated')) throw error;
    } finally {
      this.closed = true;
      this.connection.agent.destroy();
    }
  }

  private async authenticate(): Promise<void> {
    this.connection.useSessionCookie(undefined);
    const { setCookie } = await this.connection.call('Login', {
      _this: toSoapMoRef(this.serviceContent.sessionManager),
      userName: this.options.username,
      password: this.options.password,
    });
    const cookie = setCookie.map((header) => SESSION_COOKIE.exec(header)?.[1]).find((value) => value !== undefined);
    if (cookie === undefined) throw new Error(`vSphere Login at ${this.endpoint} set no vmware_soap_session cookie`);
    this.connection.useSessionCookie(cookie);
  }

  /** Concurrent calls that all saw NotAuthenticated share one new login. */
  private reauthenticate(): Promise<void> {
    this.relogin ??= this.authenticate().finally(() => {
      this.relogin = undefined;
    });
    return this.relogin;
  }

  private ping(): void {
    this.call('CurrentTime', SERVICE_INSTANCE, {}, { timeoutMs: 30_000 }).catch(
      (error: unknown) => {
        // The next real call re-logs in or reports the failure; a failed ping only means this tick was lost.
        process.emitWarning(`vSphere keep-alive to ${this.endpoint} failed: ${String(error)}`);
      },
    );
  }

  private stopKeepAlive(): void {
    clearInterval(this.keepAlive);
  }
}
