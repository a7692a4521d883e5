/** A vSphere call that got no SOAP answer: connection refused, TLS refused, timeout, or a non-SOAP reply. */
export class VimRequestError extends Error {
  override readonly name = 'VimRequestError';
  constructor(
    readonly method: string,
    readonly endpoint: string,
    cause: unknown,
  ) {
    super(`vSphere ${method} at ${endpoint} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
