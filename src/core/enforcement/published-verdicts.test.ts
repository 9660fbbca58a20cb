import { describe, expect, it } from 'vitest';
import { publishedAdmitted } from './published-verdicts.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const spec = (repositories: Record<string, { digests?: Record<string, string> }>) => ({
  repositories,
  overflow: false,
  dropped: 0,
  counts: { repositories: 0, digests: 0, tags: 0 },
});

describe('publishedAdmitted', () => {
  it('reads back the verified digests of every object, not accepted or violating ones', () => {
    const a = spec({
      'ghcr.io/acme/api': {
        digests: { [digest('1')]: '+', [digest('2')]: '+accepted', [digest('3')]: '-api-unsigned-x' },
      },
    });
    const b = spec({
      'ghcr.io/acme/api': { digests: { [digest('4')]: '+' } },
      'docker.io/library/nginx': {},
    });
    expect(publishedAdmitted([a, b])).toEqual(new Map([['ghcr.io/acme/api', [digest('1'), digest('4')]]]));
  });

  it('skips what does not parse', () => {
    expect(publishedAdmitted([undefined, { repositories: 'x' }, spec({})])).toEqual(new Map());
  });
});
