import { fromSoapMoRef, isSoapMoRef } from './moref.js';
import { xsiTypeOf } from './xsi.js';

/** A vim25 data object read from an anyType slot: its fields, plus `_type`, the xsi:type the server sent. */
export interface VimData {
  readonly _type?: string;
  readonly [field: string]: unknown;
}

const NUMBER_TYPES = new Set(['int', 'long', 'short', 'byte', 'float', 'double']);

/**
 * Turns a parsed response node into plain values: builtin xsi types become numbers, booleans, dates and
 * strings; MoRefs become {type, value}; ArrayOfX becomes an array; data objects keep their xsi:type as
 * `_type`. node-soap only converts types the WSDL declares, so anyType values need this.
 */
export function fromSoapValue(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fromSoapValue);
  if (typeof node !== 'object' || node === null || node instanceof Date) return node;
  const type = xsiTypeOf(node);
  if (isSoapMoRef(node) && (type === undefined || type === 'ManagedObjectReference')) return fromSoapMoRef(node);
  const record = node as Record<string, unknown>;
  if (type !== undefined && '$value' in record && !type.startsWith('ArrayOf')) return builtin(type, record.$value);
  const fields = Object.entries(record).filter(([key]) => key !== 'attributes');
  if (type?.startsWith('ArrayOf')) return fields.flatMap(([, value]) => asArray(value).map(fromSoapValue));
  const data: Record<string, unknown> = type === undefined ? {} : { _type: type };
  for (const [key, value] of fields) data[key] = fromSoapValue(value);
  return data;
}

function builtin(type: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (NUMBER_TYPES.has(type)) return Number(value);
  if (type === 'boolean') return value === 'true' || value === '1';
  if (type === 'dateTime') return new Date(value);
  return value;
}

/** node-soap gives a single repeated element as an object and none as undefined. */
export function asArray<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}
