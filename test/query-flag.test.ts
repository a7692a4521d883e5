import { describe, expect, it } from 'vitest';
import { queryFlag } from '../apps/endpoint/src/api/query-flag';

describe('boolean query parameters', () => {
  it('are false when absent, empty or one of dockerd false words, in any case', () => {
    for (const value of [undefined, '', ' ', '0', 'no', 'NO', 'false', 'False', 'none', ' false ']) expect(queryFlag(value)).toBe(false);
  });

  it('are true for anything else, as dockerd BoolValue reads them', () => {
    for (const value of ['1', 'true', 'TRUE', 'yes', 'on', '2']) expect(queryFlag(value)).toBe(true);
  });
});
