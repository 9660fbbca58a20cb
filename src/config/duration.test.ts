import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['15s', 15_000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['0s', 0],
    ['', undefined],
    ['15', undefined],
    ['s', undefined],
    ['-1s', undefined],
    ['1d', undefined],
    ['15s ', undefined],
    ['1'.repeat(40) + 's', undefined],
  ])('%j → %j', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });
});
