/** A vSphere ManagedObjectReference. `value` is opaque: vcsim's datastore refs hold paths and '@'. */
export interface MoRef {
  readonly type: string;
  readonly value: string;
}

/** How node-soap reads and writes a ManagedObjectReference (simpleContent with a `type` attribute). */
export interface SoapMoRef {
  readonly attributes: { readonly type: string };
  readonly $value: string;
}

export const moref = (type: string, value: string): MoRef => ({ type, value });

export const toSoapMoRef = (ref: MoRef): SoapMoRef => ({ attributes: { type: ref.type }, $value: ref.value });

export function isSoapMoRef(node: unknown): node is SoapMoRef {
  if (typeof node !== 'object' || node === null || !('$value' in node) || !('attributes' in node)) return false;
  const attributes = (node as { attributes: unknown }).attributes;
  return typeof attributes === 'object' && attributes !== null && typeof (attributes as { type?: unknown }).type === 'string';
}

export function fromSoapMoRef(node: unknown): MoRef {
  if (!isSoapMoRef(node)) throw new TypeError(`expected a ManagedObjectReference, got ${JSON.stringify(node)}`);
  return { type: node.attributes.type, value: String(node.$value) };
}

export const sameMoRef = (a: MoRef, b: MoRef): boolean => a.type === b.type && a.value === b.value;
