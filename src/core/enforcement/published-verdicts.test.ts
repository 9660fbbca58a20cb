import { describe, expect, it } from 'vitest';
import { enforcementParametersSpecSchema } from '../../api/enforcement-parameters.ts';
import { digestVerdict, publishedAdmitted } from './published-verdicts.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const spec = (
  repositories: Record<string, { digests?: Record<string, string> }>,
  admitted?: Record<string, string>,
) => ({
  repositories,
  ...(admitted ? { admitted } : {}),
  overflow: false,
  dropped: 0,
  counts: { repositories: 0, digests: 0, tags: 0 },
});

describe('publishedAdmitted', () => {
  it('reads back the verified digests of every object, not accepted or violating ones', () => {
    const a = spec(
      { 'ghcr.io/acme/api': { digests: { [digest('3')]: '-api-unsigned-x' } } },
      { [`ghcr.io/acme/api@${digest('1')}`]: '+', [`ghcr.io/acme/api@${digest('2')}`]: '+accepted' },
    );
    const b = spec(
      { 'ghcr.io/acme/api': {}, 'docker.io/library/nginx': {} },
      { [`ghcr.io/acme/api@${digest('4')}`]: '+' },
    );
    expect(publishedAdmitted([a, b])).toEqual(new Map([['ghcr.io/acme/api', [digest('1'), digest('4')]]]));
  });

  it('reads admitted digests listed by repository (parameters too large to list them by reference)', () => {
    const old = spec({
      'ghcr.io/acme/api': {
        digests: { [digest('1')]: '+', [digest('2')]: '+accepted', [digest('3')]: '-api-unsigned-x' },
      },
    });
    expect(publishedAdmitted([old])).toEqual(new Map([['ghcr.io/acme/api', [digest('1')]]]));
  });

  it('skips what does not parse', () => {
    expect(
      publishedAdmitted([undefined, { repositories: 'x' }, spec({}, { x: 'admitted' }), spec({})]),
    ).toEqual(new Map());
  });
});

describe('digestVerdict', () => {
  const api = 'ghcr.io/acme/api';
  // Parsed as the operator's objects are: the layouts as the CRD schema takes them.
  const byReference = enforcementParametersSpecSchema.parse(
    spec({ [api]: { digests: { [digest('3')]: '-api-unsigned-x' } } }, { [`${api}@${digest('1')}`]: '+' }),
  );
  const byRepository = enforcementParametersSpecSchema.parse(
    spec({ [api]: { digests: { [digest('1')]: '+', [digest('3')]: '-api-unsigned-x' } } }),
  );
  it.each([
    ['admitted, by reference', byReference, digest('1'), '+'],
    ['violating, under its repository', byReference, digest('3'), '-api-unsigned-x'],
    ['admitted, by repository', byRepository, digest('1'), '+'],
    ['not listed', byRepository, digest('2'), undefined],
  ])('%s', (_, parameters, of, verdict) => {
    expect(digestVerdict(parameters, api, of)).toBe(verdict);
  });
});
