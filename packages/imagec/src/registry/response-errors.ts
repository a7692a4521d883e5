import { fail, type Failure } from '../result';
import type { AuthKind } from './authenticator';
import { formatRegistryError, parseRegistryErrors, requestErrorMessage, type RegistryErrorCode } from './errors';

/** Names of the image a request was for, as docker's messages use them. */
export interface RequestSubject {
  /** `busybox`, `localhost:5000/app`: reference.FamiliarName. */
  familiarName: string;
  /** `busybox:latest`: reference.FamiliarString. */
  familiarString: string;
}

const denied = "denied: requested access to the resource is denied";

/** moby's notFoundError for `ErrorCodeDenied`: the repository is missing or private. */
export function pullAccessDenied(subject: RequestSubject, cause: string = denied): Failure<RegistryErrorCode> {
  return {
    code: 'REPOSITORY_DENIED',
    message: `pull access denied for ${subject.familiarName}, repository does not exist or may require 'docker login': ${cause}`,
  };
}

/**
 * Explains a 401 that survived authentication. With a Bearer token the registry knows who we
 * are and still refuses: docker reports that as "pull access denied" (Docker Hub does the same
 * for repositories that do not exist). With Basic credentials the login itself is wrong.
 */
export function unauthorizedFailure(kind: AuthKind, url: string, body: Buffer, subject: RequestSubject): Failure<RegistryErrorCode> {
  if (kind === 'bearer') return pullAccessDenied(subject);
  if (kind === 'basic') return { code: 'REGISTRY_UNAUTHORIZED', message: requestErrorMessage(url, 'unauthorized: incorrect username or password') };
  const first = parseRegistryErrors(body)[0];
  const cause = first === undefined ? 'unauthorized: authentication required' : formatRegistryError(first);
  return { code: 'REGISTRY_UNAUTHORIZED', message: requestErrorMessage(url, cause) };
}

const statusTexts: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  416: 'Requested Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * Explains a failed manifest or blob GET from the status and the registry's `errors` body,
 * translated as moby's `TranslatePullError` does. `notFound` is what a bare 404 means here.
 */
export function responseFailure(
  status: number,
  url: string,
  body: Buffer,
  subject: RequestSubject,
  notFound: 'manifest' | 'blob',
): { ok: false; error: Failure<RegistryErrorCode> } {
  const errors = parseRegistryErrors(body);
  const first = errors[0];
  switch (first?.code) {
    case 'DENIED':
      return { ok: false, error: pullAccessDenied(subject, formatRegistryError(first)) };
    case 'MANIFEST_UNKNOWN':
      return fail('MANIFEST_UNKNOWN', `manifest for ${subject.familiarString} not found: ${formatRegistryError(first)}`);
    case 'NAME_UNKNOWN':
      return fail('REPOSITORY_UNKNOWN', `repository ${subject.familiarName} not found: ${formatRegistryError(first)}`);
    case 'BLOB_UNKNOWN':
      return fail('BLOB_UNKNOWN', requestErrorMessage(url, formatRegistryError(first)));
  }
  if (status === 404) {
    return notFound === 'manifest'
      ? fail('MANIFEST_UNKNOWN', `manifest for ${subject.familiarString} not found: manifest unknown: manifest unknown`)
      : fail('BLOB_UNKNOWN', requestErrorMessage(url, 'blob unknown: blob unknown to registry'));
  }
  // distribution's client wording for a status without an errors body.
  const statusLine = `${status} ${statusTexts[status] ?? ''}`.trimEnd();
  const cause = first === undefined ? `received unexpected HTTP status: ${statusLine}` : formatRegistryError(first);
  const retryable = status >= 500 || status === 408 || status === 429;
  return fail(retryable ? 'REGISTRY_ERROR' : 'REGISTRY_REFUSED', requestErrorMessage(url, cause));
}
