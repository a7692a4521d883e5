import { VicMachineError } from '../errors';
import type { VolumeStore } from './vsphere-vch';

const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** VIC's `--volume-store datastore/path:label` (the path is optional: "datastore:label"). */
export function parseVolumeStore(text: string): VolumeStore {
  const colon = text.lastIndexOf(':');
  const location = text.slice(0, Math.max(colon, 0)).replace(/^ds:\/\//, '');
  const label = text.slice(colon + 1);
  if (colon < 1 || !LABEL.test(label) || location === '') {
    throw new VicMachineError(`--volume-store ${JSON.stringify(text)}: expected datastore/path:label, e.g. datastore1/volumes:default`);
  }
  const [datastore, ...path] = location.split('/');
  // VIC's default folder for a store given without a path.
  return { label, datastore: datastore!, path: path.join('/').replace(/^\/+|\/+$/g, '') || 'volumes' };
}

/** The stores, refusing a label given twice. */
export function parseVolumeStores(texts: readonly string[]): VolumeStore[] {
  const stores = texts.map(parseVolumeStore);
  const seen = new Set<string>();
  for (const store of stores) {
    if (seen.has(store.label)) throw new VicMachineError(`--volume-store: the label ${store.label} is given twice`);
    seen.add(store.label);
  }
  return stores;
}
