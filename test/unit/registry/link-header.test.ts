import { describe, expect, it } from 'vitest';
import { nextLink } from '../../../src/registry/link-header.ts';

const base = new URL('https://registry.example/v2/acme/app/tags/list?n=2');

describe('nextLink', () => {
  it.each<[string | null, string | undefined]>([
    [null, undefined],
    ['', undefined],
    [
      '</v2/acme/app/tags/list?n=2&last=b>; rel="next"',
      'https://registry.example/v2/acme/app/tags/list?n=2&last=b',
    ],
    ['<https://registry.example/v2/x?last=b>; rel=next', 'https://registry.example/v2/x?last=b'],
    ['</prev>; rel="prev", </next>; rel="next"', 'https://registry.example/next'],
    ['</a>; title="x"; rel="first next"', 'https://registry.example/a'],
    ['</a>; rel="prev"', undefined],
    ['<http://[bad>; rel="next"', undefined],
  ])('%j → %j', (header, expected) => {
    expect(nextLink(header, base)?.href).toBe(expected);
  });
});
