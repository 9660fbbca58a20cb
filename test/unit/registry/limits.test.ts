import { describe, expect, it } from 'vitest';
import { defaultRegistryLimits, resolveLimits } from '../../../src/registry/limits.ts';

describe('resolveLimits', () => {
  it('applies overrides to the defaults', () => {
    expect(resolveLimits({ maxRetries: 0 })).toEqual({ ...defaultRegistryLimits, maxRetries: 0 });
  });

  it.each([{ requestTimeoutMs: -1 }, { maxBlobBytes: 1.5 }, { maxConcurrentPerRegistry: 0 }])(
    'refuses %j',
    (bad) => {
      expect(() => resolveLimits(bad)).toThrow(RangeError);
    },
  );
});
