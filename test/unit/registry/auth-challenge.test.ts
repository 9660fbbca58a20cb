import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../../src/registry/auth-challenge.ts';

const parsed = (header: string | null) =>
  parseChallenges(header).map(({ scheme, params }) => ({ scheme, params: Object.fromEntries(params) }));

describe('parseChallenges', () => {
  it.each<[string | null, { scheme: string; params: Record<string, string> }[]]>([
    [null, []],
    ['', []],
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/nginx:pull',
          },
        },
      ],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['basic REALM=registry', [{ scheme: 'basic', params: { realm: 'registry' } }]],
    [
      'Bearer realm = "https://t/x" , scope="a:b:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://t/x', scope: 'a:b:pull,push' } }],
    ],
    ['Bearer realm="a\\"b\\\\c"', [{ scheme: 'bearer', params: { realm: 'a"b\\c' } }]],
    [
      'Basic realm="r", Bearer realm="https://t/token",service=s',
      [
        { scheme: 'basic', params: { realm: 'r' } },
        { scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } },
      ],
    ],
    [
      'Negotiate abc==, Basic realm="r"',
      [
        { scheme: 'negotiate', params: {} },
        { scheme: 'basic', params: { realm: 'r' } },
      ],
    ],
    ['Bearer realm="unterminated', [{ scheme: 'bearer', params: {} }]],
    ['Bearer', [{ scheme: 'bearer', params: {} }]],
  ])('%j', (header, expected) => {
    expect(parsed(header)).toEqual(expected);
  });
});
