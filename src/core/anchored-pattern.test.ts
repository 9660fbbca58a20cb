import { describe, expect, it } from 'vitest';
import { compileAnchored } from './anchored-pattern.ts';

describe('compileAnchored', () => {
  it.each([
    [
      'https://github.com/acme/.*',
      'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1',
      true,
    ],
    ['https://github.com/acme/.*', 'https://evil.example/https://github.com/acme/x', false],
    ['acme', 'https://github.com/acme/api', false],
    ['a|b', 'ab', false],
    ['a|b', 'b', true],
    ['release@example\\.com', 'release@example.com', true],
    ['release@example\\.com', 'release@example.com.evil', false],
  ])('%j matches %j: %s', (pattern, subject, expected) => {
    const re = compileAnchored(pattern);
    expect(re).toBeInstanceOf(RegExp);
    expect((re as RegExp).test(subject)).toBe(expected);
  });

  it.each([['('], ['[a-'], ['x'.repeat(1025)]])('reports %j as unusable', (pattern) => {
    expect(compileAnchored(pattern)).toHaveProperty('error');
  });
});
