import { describe, expect, it } from 'vitest';
import { canonicalIdentity } from './canonical-identity.ts';

const wf = 'https://github.com/acme/api/.github/workflows/release.yml';

describe('canonicalIdentity', () => {
  it.each([
    [`${wf}@refs/tags/v1.2.3`, `${wf}@refs/tags/*`],
    [`${wf}@refs/tags/release/2026-11`, `${wf}@refs/tags/*`],
    [`${wf}@refs/heads/main`, `${wf}@refs/heads/main`],
    [`${wf}@refs/heads/feature/x`, `${wf}@refs/heads/feature/x`],
    [`${wf}@refs/pull/42/merge`, `${wf}@refs/pull/42/merge`],
    [
      'https://github.com/acme/api/.github/workflows/nightly.yml@refs/tags/v1',
      'https://github.com/acme/api/.github/workflows/*'.replace('*', 'nightly.yml@refs/tags/*'),
    ],
    [
      'https://github.com/fork/api/.github/workflows/release.yml@refs/tags/v1',
      'https://github.com/fork/api/.github/workflows/release.yml@refs/tags/*',
    ],
    [
      'https://gitlab.com/acme/api//.gitlab-ci.yml@refs/tags/v1',
      'https://gitlab.com/acme/api//.gitlab-ci.yml@refs/tags/v1',
    ],
    ['release@acme.example', 'release@acme.example'],
    [`${wf}@refs/tags/v1@evil`, `${wf}@refs/tags/v1@evil`],
    [
      'https://github.com/acme/api/.github/workflows/release.yml',
      'https://github.com/acme/api/.github/workflows/release.yml',
    ],
  ])('%s → %s', (san, expected) => {
    expect(canonicalIdentity(san)).toBe(expected);
  });

  it('keeps distinct workflows, repositories and forks distinct after canonicalization', () => {
    const ids = [
      `${wf}@refs/tags/v1`,
      'https://github.com/acme/api/.github/workflows/other.yml@refs/tags/v1',
      'https://github.com/acme/web/.github/workflows/release.yml@refs/tags/v1',
      'https://github.com/mallory/api/.github/workflows/release.yml@refs/tags/v1',
      `${wf}@refs/heads/main`,
    ].map(canonicalIdentity);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
