import type { Agent } from 'node:https';
import { randomUUID } from 'node:crypto';
import soap from 'soap';
import { renderVim25Wsdl } from '../wsdl/render-wsdl.js';
import { operations } from '../wsdl/vim25-schema.js';
import { vimFaultFromSoapError } from './vim-fault.js';
import { VimRequestError } from './vim-request-error.js';
import { UntrustedCertificateError } from '../session/untrusted-certificate-error.js';

export type VimMethod = keyof typeof operations & string;

export interface CallOptions {
  /** Bound on the whole HTTP exchange. */
  readonly timeoutMs?: number;
}

export interface CallResult {
  /** The response's `returnval`, as node-soap parsed it (undefined for void methods). */
  readonly returnval: unknown;
  readonly setCookie: readonly string[];
}

type AsyncMethod = (args: object, options: object) => Promise<[Record<string, unknown> | null, ...unknown[]]>;

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * One SOAP endpoint (https://host/sdk) spoken to through node-soap with our own WSDL. It carries the
 * session cookie and maps SOAP faults to VimFault and transport failures to VimRequestError. Session
 * policy (login, re-login) lives in session/.
 */
export class VimConnection {
  /** Set-Cookie headers of calls in flight, by node-soap exchange id (one 'response' listener for all). */
  private readonly setCookies = new Map<string, string[]>();

  private constructor(
    private readonly client: soap.Client,
    readonly endpoint: string,
    readonly agent: Agent,
  ) {
    client.on('response', (_body: unknown, response: { headers?: Record<string, unknown> } | undefined, eid: string) => {
      if (!this.setCookies.has(eid)) return;
      const header = response?.headers?.['set-cookie'];
      this.setCookies.set(eid, Array.isArray(header) ? header.map(String) : header === undefined ? [] : [String(header)]);
    });
  }

  static async open(endpoint: string, agent: Agent): Promise<VimConnection> {
    const client = await soap.createClientAsync(renderVim25Wsdl(), { endpoint });
    return new VimConnection(client, endpoint, agent);
  }

  /** Sends `vmware_soap_session=...` on every later call; echoed verbatim (vCenter quotes the value). */
  useSessionCookie(cookie: string | undefined): void {
    this.client.clearHttpHeaders();
    if (cookie !== undefined) this.client.addHttpHeader('Cookie', cookie);
  }

  get sessionCookie(): string | undefined {
    const value = this.client.getHttpHeaders()?.Cookie;
    return typeof value === 'string' ? value : undefined;
  }

  async call(method: VimMethod, args: object, options: CallOptions = {}): Promise<CallResult> {
    const invoke = (this.client as unknown as Record<string, AsyncMethod>)[`${method}Async`];
    if (invoke === undefined) throw new TypeError(`the vim25 WSDL has no operation ${method}`);
    // The exchange id pairs this call with its raw response, whose Set-Cookie only Login sends.
    const exchangeId = randomUUID();
    this.setCookies.set(exchangeId, []);
    try {
      const [result] = await invoke.call(this.client, args, {
        httpsAgent: this.agent,
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        exchangeId,
      });
      return { returnval: result?.returnval, setCookie: this.setCookies.get(exchangeId) ?? [] };
    } catch (error) {
      throw vimFaultFromSoapError(error) ?? untrustedCertificate(error) ?? new VimRequestError(method, this.endpoint, error);
    } finally {
      this.setCookies.delete(exchangeId);
    }
  }
}

/** The certificate refusal under axios's wrapping, so callers can show the thumbprint. */
function untrustedCertificate(error: unknown): UntrustedCertificateError | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof UntrustedCertificateError) return cause;
  }
  return undefined;
}
