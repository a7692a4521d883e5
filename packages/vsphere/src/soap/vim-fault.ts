import { fromSoapValue, type VimData } from './any-value.js';
import { xsiTypeOf } from './xsi.js';

/**
 * A fault vSphere answered with: `faultName` is the vim25 fault type (NotAuthenticated, InvalidLogin,
 * ManagedObjectNotFound, InvalidPowerState, FileAlreadyExists, ...), `detail` its decoded fields.
 */
export class VimFault extends Error {
  override readonly name = 'VimFault';
  constructor(
    readonly faultName: string,
    message: string,
    readonly detail: VimData = {},
  ) {
    // vcsim sends NotAuthenticated with an empty faultstring: the name is then the best message.
    super(message === '' ? faultName : message);
  }
}

/** The fault in a SOAP Fault's <detail> (`<XxxFault xsi:type="Xxx">`), or undefined if the error is not one. */
export function vimFaultFromSoapError(error: unknown): VimFault | undefined {
  const fault = (error as { root?: { Envelope?: { Body?: { Fault?: unknown } } } })?.root?.Envelope?.Body?.Fault;
  if (typeof fault !== 'object' || fault === null) return undefined;
  const { faultstring, detail } = fault as { faultstring?: unknown; detail?: unknown };
  const message = typeof faultstring === 'string' ? faultstring : '';
  const [element, body] = Object.entries(typeof detail === 'object' && detail !== null ? detail : {})[0] ?? [];
  if (element === undefined) return new VimFault('SystemError', message);
  const faultName = xsiTypeOf(body) ?? element.replace(/Fault$/, '');
  return new VimFault(faultName, message, fromSoapValue(body) as VimData);
}

/** A LocalizedMethodFault (TaskInfo.error, MissingProperty.fault) as a VimFault. */
export function vimFaultFromLocalized(localized: unknown): VimFault {
  const { fault, localizedMessage } = (localized ?? {}) as { fault?: unknown; localizedMessage?: unknown };
  const detail = (fromSoapValue(fault) ?? {}) as VimData;
  const faultName = detail._type ?? xsiTypeOf(fault) ?? 'SystemError';
  return new VimFault(faultName, typeof localizedMessage === 'string' ? localizedMessage : '', detail);
}
