import { vimObject, xsdValue } from '../soap/xsi.js';
import { asArray } from '../soap/any-value.js';

/** ExtraConfig (and guestinfo.*) entries as OptionValue with an xsd:string value. */
export function extraConfigOptions(entries: Readonly<Record<string, string>>): object[] {
  return Object.entries(entries).map(([key, value]) => vimObject('OptionValue', { key, value: xsdValue('string', value) }));
}

/**
 * A VM's `config.extraConfig` as a map. The last occurrence of a key wins: vcsim appends a new entry on
 * every update instead of replacing it.
 */
export function extraConfigMap(value: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  for (const option of asArray(value as { key: string; value?: unknown }[] | undefined)) {
    map[option.key] = option.value === undefined ? '' : String(option.value);
  }
  return map;
}
