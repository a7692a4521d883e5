/**
 * xsi:type plumbing for node-soap. vim25 is polymorphic (devices, backings, option values), so requests
 * name their types explicitly, and anyType values in responses carry theirs.
 */
export const VIM_NS = 'urn:vim25';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';

export type XsdType = 'string' | 'int' | 'long' | 'short' | 'boolean' | 'dateTime';

interface XsiTypeAttribute {
  readonly xsi_type: { readonly type: string; readonly xmlns: string; readonly prefix?: string };
}

/** `{ attributes, ...fields }` for a vim25 data object; pass fields in schema order, node-soap keeps key order. */
export function vimObject<T extends object>(type: string, fields: T): { attributes: XsiTypeAttribute } & T {
  return { attributes: { xsi_type: { type, xmlns: VIM_NS } }, ...fields };
}

/**
 * A builtin value inside an anyType slot. The literal `xsd:` prefix matters: govmomi's decoder matches
 * the text "xsd:string", and with node-soap's default prefix (ns1:string) vcsim silently stores nil.
 */
export function xsdValue(type: XsdType, value: string | number | boolean | Date): { attributes: XsiTypeAttribute; $value: string } {
  const text = value instanceof Date ? value.toISOString() : String(value);
  return { attributes: { xsi_type: { type, xmlns: XSD_NS, prefix: 'xsd' } }, $value: text };
}

/**
 * The xsi:type of a parsed response node, without its prefix. node-soap keeps the attribute under the
 * prefix the server chose (vCenter writes `xsi:`, vcsim `XMLSchema-instance:`) and drops the xmlns
 * declarations, so any prefixed `type` attribute is taken: the only unprefixed one is a MoRef's.
 */
export function xsiTypeOf(node: unknown): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const attributes = (node as { attributes?: unknown }).attributes;
  if (typeof attributes !== 'object' || attributes === null) return undefined;
  for (const [name, value] of Object.entries(attributes)) {
    if (name.endsWith(':type') && typeof value === 'string') return value.slice(value.indexOf(':') + 1);
  }
  return undefined;
}
