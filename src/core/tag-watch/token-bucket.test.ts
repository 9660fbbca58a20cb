import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
  // Each row: rate, burst, and the takes as [time ms, cost, expected wait ms].
  it.each<[string, number, number, [number, number, number][]]>([
    [
      'spends the burst at once',
      5,
      5,
      [
        [0, 1, 0],
        [0, 1, 0],
        [0, 1, 0],
        [0, 1, 0],
        [0, 1, 0],
      ],
    ],
    [
      'queues takers beyond the burst in order',
      5,
      2,
      [
        [0, 1, 0],
        [0, 1, 0],
        [0, 1, 200],
        [0, 1, 400],
      ],
    ],
    [
      'refills with time',
      5,
      1,
      [
        [0, 1, 0],
        [100, 1, 100],
        [1_000, 1, 0],
      ],
    ],
    [
      'saves up no more than the burst',
      10,
      2,
      [
        [0, 1, 0],
        [60_000, 1, 0],
        [60_000, 1, 0],
        [60_000, 1, 100],
      ],
    ],
    [
      'charges a cost of several tokens',
      2,
      1,
      [
        [0, 3, 1_000],
        [0, 1, 1_500],
      ],
    ],
    [
      'works below one token a second',
      0.5,
      1,
      [
        [0, 1, 0],
        [0, 1, 2_000],
      ],
    ],
    [
      'refills nothing when the clock steps back',
      1,
      1,
      [
        [10_000, 1, 0],
        [5_000, 1, 1_000],
      ],
    ],
  ])('%s', (_, rate, burst, takes) => {
    const bucket = new TokenBucket(rate, burst);
    expect(takes.map(([now, cost]) => bucket.reserve(now, cost))).toEqual(takes.map(([, , wait]) => wait));
  });

  it.each([
    [0, 1],
    [-1, 1],
    [Number.NaN, 1],
    [Infinity, 1],
    [1, 0.5],
  ])('refuses rate %s with burst %s', (rate, burst) => {
    expect(() => new TokenBucket(rate, burst)).toThrow(RangeError);
  });
});
