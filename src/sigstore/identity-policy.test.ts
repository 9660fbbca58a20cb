import { describe, expect, it } from 'vitest';
import type { GithubClaims, VerifiedSigner } from '../core/observation.ts';
import { compileSignerPolicy, matchAnySigner, matchSigner } from './identity-policy.ts';
import type { SignerPolicy, SignerPolicySpec } from './identity-policy.ts';

const GITHUB = 'https://token.actions.githubusercontent.com';
const RELEASE = 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1.2.3';

const keyless = (identity: string, issuer = GITHUB, github?: GithubClaims): VerifiedSigner => ({
  kind: 'Keyless',
  identity,
  issuer,
  ...(github ? { github } : {}),
});

const compile = (spec: SignerPolicySpec): SignerPolicy => {
  const policy = compileSignerPolicy(spec);
  if ('error' in policy) throw new Error(policy.error);
  return policy;
};

describe('matchSigner (keyless)', () => {
  it.each<[string, SignerPolicySpec, VerifiedSigner, boolean]>([
    ['exact subject', { kind: 'Keyless', issuer: GITHUB, subject: RELEASE }, keyless(RELEASE), true],
    [
      'exact subject is not a substring',
      { kind: 'Keyless', issuer: GITHUB, subject: 'acme' },
      keyless(RELEASE),
      false,
    ],
    [
      'exact subject is not a regexp',
      { kind: 'Keyless', issuer: GITHUB, subject: 'https://github.com/acme/.*' },
      keyless(RELEASE),
      false,
    ],
    [
      'pattern is anchored: acme',
      { kind: 'Keyless', issuer: GITHUB, subjectRegExp: 'acme' },
      keyless('https://github.com/acme/x'),
      false,
    ],
    [
      'pattern is anchored at the start',
      { kind: 'Keyless', issuer: GITHUB, subjectRegExp: 'https://github.com/acme/.*' },
      keyless('https://evil.example/https://github.com/acme/x'),
      false,
    ],
    [
      'pattern is anchored at the end',
      { kind: 'Keyless', issuer: 'https://accounts.google.com', subjectRegExp: 'release@acme\\.com' },
      keyless('release@acme.com.evil.example', 'https://accounts.google.com'),
      false,
    ],
    [
      'alternation stays inside the anchors',
      { kind: 'Keyless', issuer: GITHUB, subjectRegExp: 'a|https://github.com/acme/.*' },
      keyless('xxa'),
      false,
    ],
    [
      'pattern matching the whole identity',
      {
        kind: 'Keyless',
        issuer: GITHUB,
        subjectRegExp: 'https://github\\.com/acme/api/\\.github/workflows/release\\.yml@refs/tags/v.*',
      },
      keyless(RELEASE),
      true,
    ],
    ['issuer exact', { kind: 'Keyless', issuer: `${GITHUB}/`, subject: RELEASE }, keyless(RELEASE), false],
    [
      'issuer case matters',
      { kind: 'Keyless', issuer: GITHUB.toUpperCase(), subject: RELEASE },
      keyless(RELEASE),
      false,
    ],
    [
      'other issuer, same subject',
      { kind: 'Keyless', issuer: GITHUB, subject: RELEASE },
      keyless(RELEASE, 'https://gitlab.com'),
      false,
    ],
    [
      'a key signer never matches a keyless policy',
      { kind: 'Keyless', issuer: GITHUB, subject: RELEASE },
      { kind: 'Key', fingerprint: `sha256:${'a'.repeat(64)}` },
      false,
    ],
  ])('%s', (_name, spec, signer, expected) => {
    expect(matchSigner(signer, compile(spec)).matched).toBe(expected);
  });
});

describe('hostile identities', () => {
  const anything = compile({ kind: 'Keyless', issuer: GITHUB, subjectRegExp: '[\\s\\S]*' });
  it.each([
    ['newline', `${RELEASE}\nhttps://github.com/acme/api`],
    ['carriage return', `${RELEASE}\r`],
    ['NUL', `https://github.com/acme/api\u0000evil`],
    ['escape sequence', '\u001b[2Jhttps://github.com/acme/api'],
    ['DEL', 'https://github.com/acme/api\u007f'],
    ['C1 control', 'https://github.com/acme/api\u0085'],
    ['bidi override', 'https://github.com/acme/\u202eipa'],
    ['zero-width space', 'https://github.com/ac\u200bme/api'],
    ['line separator', 'https://github.com/acme/api\u2028'],
    ['lone surrogate', 'https://github.com/acme/\ud800'],
    ['too long', `https://github.com/${'a'.repeat(1100)}`],
  ])('%s never matches, even a match-all pattern', (_name, identity) => {
    const match = matchSigner(keyless(identity), anything);
    expect(match.matched).toBe(false);
  });

  it('a hostile issuer never matches', () => {
    const issuer = `${GITHUB}\u0000`;
    expect(
      matchSigner(keyless(RELEASE, issuer), compile({ kind: 'Keyless', issuer, subject: RELEASE })).matched,
    ).toBe(false);
  });

  it('quotes and escapes untrusted values in the reason', () => {
    const match = matchSigner(
      keyless('x"\u001b[31m'),
      compile({ kind: 'Keyless', issuer: GITHUB, subject: RELEASE }),
    );
    expect(match.matched).toBe(false);
    if (!match.matched) expect(match.reason).not.toMatch(/\p{Cc}/u);
  });
});

describe('GitHub claims', () => {
  const signer = keyless(RELEASE, GITHUB, {
    workflowRepository: 'acme/api',
    workflowRef: 'refs/tags/v1.2.3',
    workflowTrigger: 'push',
  });
  it.each<[string, GithubClaims, boolean]>([
    ['no claims required', {}, true],
    ['matching repository', { workflowRepository: 'acme/api' }, true],
    ['matching repository and trigger', { workflowRepository: 'acme/api', workflowTrigger: 'push' }, true],
    ['other repository', { workflowRepository: 'acme/api-fork' }, false],
    ['repository is exact, not a prefix', { workflowRepository: 'acme' }, false],
    ['other trigger', { workflowTrigger: 'pull_request_target' }, false],
    ['claim absent from the certificate', { workflowName: 'Release' }, false],
  ])('%s', (_name, github, expected) => {
    const policy = compile({ kind: 'Keyless', issuer: GITHUB, subject: RELEASE, github });
    expect(matchSigner(signer, policy).matched).toBe(expected);
  });
});

describe('key policies', () => {
  const fingerprint = `sha256:${'ab'.repeat(32)}`;
  it.each<[string, VerifiedSigner, boolean]>([
    ['same key', { kind: 'Key', fingerprint }, true],
    [
      'same key, upper-case hex',
      { kind: 'Key', fingerprint: fingerprint.toUpperCase().replace('SHA256', 'sha256') },
      true,
    ],
    ['other key', { kind: 'Key', fingerprint: `sha256:${'cd'.repeat(32)}` }, false],
    ['keyless signer', keyless(RELEASE), false],
  ])('%s', (_name, signer, expected) => {
    expect(matchSigner(signer, compile({ kind: 'Key', fingerprint })).matched).toBe(expected);
  });
});

describe('compileSignerPolicy', () => {
  it.each<[string, SignerPolicySpec]>([
    ['no subject', { kind: 'Keyless', issuer: GITHUB }],
    ['both subject forms', { kind: 'Keyless', issuer: GITHUB, subject: RELEASE, subjectRegExp: '.*' }],
    ['empty issuer', { kind: 'Keyless', issuer: '', subject: RELEASE }],
    ['pattern that does not compile', { kind: 'Keyless', issuer: GITHUB, subjectRegExp: '(' }],
    ['over-long pattern', { kind: 'Keyless', issuer: GITHUB, subjectRegExp: 'a'.repeat(1025) }],
    ['malformed fingerprint', { kind: 'Key', fingerprint: 'sha256:xyz' }],
  ])('refuses %s', (_name, spec) => {
    expect(compileSignerPolicy(spec)).toHaveProperty('error');
  });
});

describe('matchAnySigner', () => {
  const policies = [
    compile({ kind: 'Keyless', issuer: GITHUB, subject: RELEASE }),
    compile({ kind: 'Key', fingerprint: `sha256:${'ab'.repeat(32)}` }),
  ];
  it('accepts any listed signer', () => {
    expect(matchAnySigner({ kind: 'Key', fingerprint: `sha256:${'ab'.repeat(32)}` }, policies).matched).toBe(
      true,
    );
    expect(matchAnySigner(keyless(RELEASE), policies).matched).toBe(true);
  });
  it('refuses others, and an empty list', () => {
    expect(matchAnySigner(keyless('https://github.com/evil/x'), policies).matched).toBe(false);
    expect(matchAnySigner(keyless(RELEASE), []).matched).toBe(false);
  });
});
