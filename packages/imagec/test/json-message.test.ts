import { describe, expect, it } from 'vitest';
import { humanSize, progressMessage, renderProgressBar } from '../src/progress/json-message';

describe('Docker progress messages', () => {
  it('sizes read as go-units HumanSize prints them', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1000)).toBe('1kB');
    expect(humanSize(1234)).toBe('1.234kB');
    expect(humanSize(2_811_478)).toBe('2.811MB');
    expect(humanSize(50_000_000)).toBe('50MB');
  });

  it('the bar fills one = per two percent, as dockerd renders it', () => {
    expect(renderProgressBar(0, 100)).toBe(`[>${' '.repeat(50)}]       0B/100B`);
    expect(renderProgressBar(1_000_000, 4_000_000)).toBe(`[${'='.repeat(12)}>${' '.repeat(38)}]      1MB/4MB`);
    expect(renderProgressBar(4_000_000, 4_000_000)).toBe(`[${'='.repeat(50)}>]      4MB/4MB`);
  });

  it('a download line carries detail, bar and layer id', () => {
    expect(progressMessage('Downloading', 'a3ed95caeb02', 500, 1000)).toEqual({
      status: 'Downloading',
      progressDetail: { current: 500, total: 1000 },
      progress: `[${'='.repeat(25)}>${' '.repeat(25)}]     500B/1kB`,
      id: 'a3ed95caeb02',
    });
  });
});
