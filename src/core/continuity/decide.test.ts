// Every row of the decision table (DESIGN.md §4): cold and established, pinned and unpinned,
// keyless and key-signed.
import { describe, expect, it } from 'vitest';
import type { Observation, VerifiedSigner } from '../observation.ts';
import { decide } from './decide.ts';
import type { BaselineState, Decision, DecisionInput, PinState } from './decide.ts';

const D = `sha256:${'a'.repeat(64)}`;
const GH = 'https://token.actions.githubusercontent.com';
const release: VerifiedSigner = {
  kind: 'Keyless',
  identity: 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1.4.0',
  issuer: GH,
};
const nextRelease: VerifiedSigner = { ...release, identity: release.identity.replace('v1.4.0', 'v1.5.0') };
const branch: VerifiedSigner = {
  ...release,
  identity: 'https://github.com/acme/api/.github/workflows/release.yml@refs/heads/main',
};
const otherIssuer: VerifiedSigner = { ...release, issuer: 'https://gitlab.example/oidc' };
const mallory: VerifiedSigner = {
  kind: 'Keyless',
  identity: 'mallory@evil.example',
  issuer: 'https://accounts.google.com',
};
const key: VerifiedSigner = { kind: 'Key', fingerprint: `sha256:${'1'.repeat(64)}` };
const otherKey: VerifiedSigner = { kind: 'Key', fingerprint: `sha256:${'2'.repeat(64)}` };

const obs = (posture: Observation['posture'], signers: VerifiedSigner[] = []): Observation => ({
  digest: D,
  posture,
  signers,
  ...(posture === 'Checking' ? { checkingReason: 'Timeout' as const } : {}),
  ...(posture === 'Invalid' ? { detail: 'payload names another digest' } : {}),
});
const keylessBaseline = (established: boolean): BaselineState => ({
  established,
  strongest: 'Signed',
  signers: [
    {
      kind: 'Keyless',
      identity: 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/*',
      issuer: GH,
    },
  ],
});
const keyBaseline = (established: boolean): BaselineState => ({
  established,
  strongest: 'KeySigned',
  signers: [{ kind: 'Key', fingerprint: key.kind === 'Key' ? key.fingerprint : '' }],
});
const pin: PinState = {
  name: 'acme',
  expected: ['release workflow'],
  accepts: (s) =>
    s.kind === 'Keyless' && s.issuer === GH && s.identity.startsWith('https://github.com/acme/'),
};

type Row = [
  string,
  Partial<DecisionInput> & { observation: Observation },
  Partial<Decision> & { findingKind?: string; severity?: string },
];

const rows: Row[] = [
  // no baseline, no pin
  [
    'none: keyless signed learns a cold baseline',
    { observation: obs('Signed', [release]) },
    {
      admit: true,
      guarded: false,
      findingKind: undefined,
      learn: [
        {
          kind: 'Keyless',
          identity: 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/*',
          issuer: GH,
        },
      ],
    },
  ],
  [
    'none: key signed learns a cold baseline',
    { observation: obs('KeySigned', [key]) },
    { admit: true, learn: [{ kind: 'Key', fingerprint: `sha256:${'1'.repeat(64)}` }] },
  ],
  [
    'none: unsigned admitted, nothing learned',
    { observation: obs('Unsigned') },
    { admit: true, learn: [], findingKind: undefined },
  ],
  [
    'none: unverifiable admitted',
    { observation: obs('Unverifiable') },
    { admit: true, learn: [], findingKind: undefined },
  ],
  ['none: checking admitted', { observation: obs('Checking') }, { admit: true, findingKind: undefined }],
  [
    'none: invalid is a finding and denied',
    { observation: obs('Invalid') },
    { admit: false, findingKind: 'Invalid', severity: 'Medium' },
  ],
  // cold baseline
  [
    'cold: known keyless signer (next release) continuous',
    { baseline: keylessBaseline(false), observation: obs('Signed', [nextRelease]) },
    { admit: true, findingKind: undefined, learn: [] },
  ],
  [
    'cold: known key continuous',
    { baseline: keyBaseline(false), observation: obs('KeySigned', [key]) },
    { admit: true, findingKind: undefined },
  ],
  [
    'cold: unsigned is a low finding, admitted',
    { baseline: keylessBaseline(false), observation: obs('Unsigned') },
    { admit: true, findingKind: 'Unsigned', severity: 'Low' },
  ],
  [
    'cold: invalid is a finding and denied',
    { baseline: keylessBaseline(false), observation: obs('Invalid') },
    { admit: false, findingKind: 'Invalid', severity: 'Low' },
  ],
  [
    'cold: new identity widens, low finding',
    { baseline: keylessBaseline(false), observation: obs('Signed', [branch]) },
    {
      admit: true,
      findingKind: 'IdentityChanged',
      severity: 'Low',
      learn: [{ kind: 'Keyless', identity: branch.kind === 'Keyless' ? branch.identity : '', issuer: GH }],
    },
  ],
  [
    'cold: new issuer widens, low finding',
    { baseline: keylessBaseline(false), observation: obs('Signed', [otherIssuer]) },
    { admit: true, findingKind: 'IssuerChanged', severity: 'Low' },
  ],
  [
    'cold: downgrade to key is a low finding',
    { baseline: keylessBaseline(false), observation: obs('KeySigned', [key]) },
    { admit: true, findingKind: 'Downgraded', severity: 'Low' },
  ],
  [
    'cold: new key widens a key baseline',
    { baseline: keyBaseline(false), observation: obs('KeySigned', [otherKey]) },
    {
      admit: true,
      findingKind: 'IdentityChanged',
      learn: [{ kind: 'Key', fingerprint: `sha256:${'2'.repeat(64)}` }],
    },
  ],
  [
    'cold: checking admitted',
    { baseline: keylessBaseline(false), observation: obs('Checking') },
    { admit: true, guarded: false },
  ],
  // established baseline
  [
    'established: known keyless signer continuous',
    { baseline: keylessBaseline(true), observation: obs('Signed', [nextRelease]) },
    { admit: true, guarded: true, findingKind: undefined },
  ],
  [
    'established: known key continuous',
    { baseline: keyBaseline(true), observation: obs('KeySigned', [key]) },
    { admit: true, findingKind: undefined },
  ],
  [
    'established: unsigned denied, high',
    { baseline: keylessBaseline(true), observation: obs('Unsigned') },
    { admit: false, findingKind: 'Unsigned', severity: 'High', learn: [] },
  ],
  [
    'established: invalid denied, critical',
    { baseline: keylessBaseline(true), observation: obs('Invalid') },
    { admit: false, findingKind: 'Invalid', severity: 'Critical' },
  ],
  [
    'established: new identity denied, not learned',
    { baseline: keylessBaseline(true), observation: obs('Signed', [mallory]) },
    { admit: false, findingKind: 'IdentityChanged', severity: 'High', learn: [] },
  ],
  [
    'established: branch build is a new identity',
    { baseline: keylessBaseline(true), observation: obs('Signed', [branch]) },
    { admit: false, findingKind: 'IdentityChanged' },
  ],
  [
    'established: same SAN, new issuer',
    { baseline: keylessBaseline(true), observation: obs('Signed', [otherIssuer]) },
    { admit: false, findingKind: 'IssuerChanged', learn: [] },
  ],
  [
    'established: keyless to key is a downgrade',
    { baseline: keylessBaseline(true), observation: obs('KeySigned', [key]) },
    { admit: false, findingKind: 'Downgraded' },
  ],
  [
    'established: to unverifiable is a downgrade',
    { baseline: keylessBaseline(true), observation: obs('Unverifiable') },
    { admit: false, findingKind: 'Downgraded' },
  ],
  [
    'established key: new key denied',
    { baseline: keyBaseline(true), observation: obs('KeySigned', [otherKey]) },
    { admit: false, findingKind: 'IdentityChanged' },
  ],
  [
    'established key: keyless newcomer is a new identity',
    { baseline: keyBaseline(true), observation: obs('Signed', [mallory]) },
    { admit: false, findingKind: 'IdentityChanged' },
  ],
  [
    'established: a known signer beside an unknown one is continuous, not learned',
    { baseline: keylessBaseline(true), observation: obs('Signed', [release, mallory]) },
    { admit: true, findingKind: undefined, learn: [] },
  ],
  [
    'established: checking, never verified: not yet verified',
    { baseline: keylessBaseline(true), observation: obs('Checking') },
    { admit: false, findingKind: undefined },
  ],
  [
    'established: checking, verified before: admitted',
    { baseline: keylessBaseline(true), observation: obs('Checking'), verifiedBefore: true },
    { admit: true, findingKind: undefined },
  ],
  [
    'established: accepted unsigned digest admitted, finding kept',
    { baseline: keylessBaseline(true), observation: obs('Unsigned'), acceptedDigests: new Set([D]) },
    { admit: true, findingKind: 'Unsigned' },
  ],
  [
    'established: accepted invalid digest admitted',
    { baseline: keylessBaseline(true), observation: obs('Invalid'), acceptedDigests: new Set([D]) },
    { admit: true, findingKind: 'Invalid' },
  ],
  [
    'established: accepted downgraded digest admitted',
    { baseline: keylessBaseline(true), observation: obs('Unverifiable'), acceptedDigests: new Set([D]) },
    { admit: true, findingKind: 'Downgraded' },
  ],
  [
    'established: accepting a digest never admits a new identity',
    { baseline: keylessBaseline(true), observation: obs('Signed', [mallory]), acceptedDigests: new Set([D]) },
    { admit: false, findingKind: 'IdentityChanged' },
  ],
  // pinned (with or without a baseline: the pin takes precedence)
  [
    'pinned: a pin signer is admitted',
    { pin, observation: obs('Signed', [release]) },
    { admit: true, guarded: true, findingKind: undefined },
  ],
  [
    'pinned: another signer is a violation',
    { pin, observation: obs('Signed', [mallory]) },
    { admit: false, findingKind: 'PinViolation', severity: 'Critical' },
  ],
  [
    'pinned: unsigned is a violation',
    { pin, observation: obs('Unsigned') },
    { admit: false, findingKind: 'PinViolation' },
  ],
  [
    'pinned: checking is a violation',
    { pin, observation: obs('Checking') },
    { admit: false, findingKind: 'PinViolation' },
  ],
  [
    'pinned: invalid is a violation',
    { pin, observation: obs('Invalid') },
    { admit: false, findingKind: 'PinViolation' },
  ],
  [
    'pinned: key signature not in the pin',
    { pin, observation: obs('KeySigned', [key]) },
    { admit: false, findingKind: 'PinViolation' },
  ],
  [
    'pinned over an established baseline that knows the signer',
    { pin, baseline: keyBaseline(true), observation: obs('KeySigned', [key]) },
    { admit: false, findingKind: 'PinViolation' },
  ],
  [
    'pinned: an accepted digest does not lift a pin',
    { pin, observation: obs('Unsigned'), acceptedDigests: new Set([D]) },
    { admit: false, findingKind: 'PinViolation' },
  ],
];

describe('decide', () => {
  it.each(rows)('%s', (_, input, expected) => {
    const decision = decide({ acceptedDigests: new Set(), verifiedBefore: false, ...input });
    const { findingKind, severity, ...rest } = expected;
    expect(decision).toMatchObject(rest);
    expect(decision.finding?.kind).toBe(findingKind);
    if (severity) expect(decision.finding?.severity).toBe(severity);
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  it('names the expected and observed signers in findings', () => {
    const d = decide({
      baseline: keylessBaseline(true),
      observation: obs('Signed', [mallory]),
      acceptedDigests: new Set(),
      verifiedBefore: false,
    });
    expect(d.finding).toMatchObject({
      subject: 'mallory@evil.example (issuer https://accounts.google.com)',
      expectedSource: 'Baseline',
      expected: [`https://github.com/acme/api/.github/workflows/release.yml@refs/tags/* (issuer ${GH})`],
    });
  });
});
