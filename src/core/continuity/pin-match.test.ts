import { describe, expect, it } from 'vitest';
import { globMatches, mostSpecificPin } from './pin-match.ts';

describe('globMatches', () => {
  it.each<[string, string, boolean]>([
    ['ghcr.io/acme/api', 'ghcr.io/acme/api', true],
    ['ghcr.io/acme/api', 'ghcr.io/acme/api2', false],
    ['ghcr.io/acme/*', 'ghcr.io/acme/api', true],
    ['ghcr.io/acme/*', 'ghcr.io/acme/team/api', false],
    ['ghcr.io/acme/*', 'ghcr.io/acme-evil/api', false],
    ['ghcr.io/acme/**', 'ghcr.io/acme/team/api', true],
    ['ghcr.io/acme/**', 'ghcr.io/acmex/api', false],
    ['ghcr.io/*/api', 'ghcr.io/acme/api', true],
    ['ghcr.io/*/api', 'ghcr.io/acme/x/api', false],
    ['ghcr.io/**/api', 'ghcr.io/acme/x/api', true],
    ['ghcr.io/acme/api-*', 'ghcr.io/acme/api-web', true],
    ['**', 'docker.io/library/nginx', true],
    ['localhost:5000/*', 'localhost:5000/app', true],
    // Regular-expression characters in a glob are literal.
    ['ghcr.io/acme/a.b', 'ghcr.io/acme/axb', false],
    ['ghcr.io/acme/(x|y)', 'ghcr.io/acme/x', false],
    // Keys are canonical (lower case); a glob written in upper case still selects them.
    ['GHCR.io/Acme/*', 'ghcr.io/acme/api', true],
  ])('%s selects %s: %s', (glob, repository, expected) => {
    expect(globMatches(glob, repository)).toBe(expected);
  });
});

describe('mostSpecificPin', () => {
  const pins = [
    { name: 'everything', repositories: ['**'] },
    { name: 'acme-deep', repositories: ['ghcr.io/acme/**'] },
    { name: 'acme', repositories: ['ghcr.io/acme/*'] },
    { name: 'api-prefix', repositories: ['ghcr.io/acme/api-*'] },
    { name: 'api', repositories: ['ghcr.io/other/x', 'ghcr.io/acme/api'] },
    { name: 'b-tie', repositories: ['ghcr.io/tie/*'] },
    { name: 'a-tie', repositories: ['ghcr.io/tie/*'] },
  ];
  it.each<[string, string | undefined, string | undefined]>([
    ['ghcr.io/acme/api', 'api', 'ghcr.io/acme/api'],
    ['ghcr.io/acme/api-web', 'api-prefix', 'ghcr.io/acme/api-*'],
    ['ghcr.io/acme/web', 'acme', 'ghcr.io/acme/*'],
    ['ghcr.io/acme/team/web', 'acme-deep', 'ghcr.io/acme/**'],
    ['quay.io/x/y', 'everything', '**'],
    ['ghcr.io/tie/x', 'a-tie', 'ghcr.io/tie/*'],
  ])('%s is guarded by %s', (repository, name, glob) => {
    const got = mostSpecificPin(pins, repository);
    expect(got?.pin.name).toBe(name);
    expect(got?.glob).toBe(glob);
  });

  it('is independent of the order pins are listed in', () => {
    expect(mostSpecificPin([...pins].reverse(), 'ghcr.io/tie/x')?.pin.name).toBe('a-tie');
    expect(mostSpecificPin([...pins].reverse(), 'ghcr.io/acme/api')?.pin.name).toBe('api');
  });

  it('finds none when no glob selects the repository', () => {
    expect(mostSpecificPin(pins.slice(1), 'quay.io/x/y')).toBeUndefined();
  });
});
