import { describe, expect, it } from 'vitest';
import { sameContent } from './same-content.ts';

describe('sameContent', () => {
  it.each([
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [{ a: [1, { c: undefined }] }, { a: [1, {}] }, true],
    [{ a: 1 }, { a: 2 }, false],
    [{ a: 1 }, { a: 1, b: 0 }, false],
    [undefined, undefined, true],
    [undefined, {}, false],
  ])('%j vs %j → %s', (a, b, expected) => {
    expect(sameContent(a, b)).toBe(expected);
  });
});
