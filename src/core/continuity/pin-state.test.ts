import { describe, expect, it } from 'vitest';
import type { VerifiedSigner } from '../observation.ts';
import { pinState } from './pin-state.ts';

const GH = 'https://token.actions.githubusercontent.com';
const FP = `sha256:${'a'.repeat(64)}`;
const release = (ref: string): VerifiedSigner => ({
  kind: 'Keyless',
  identity: `https://github.com/acme/api/.github/workflows/release.yml@${ref}`,
  issuer: GH,
  github: { workflowRef: ref },
});

describe('pinState', () => {
  const pin = pinState(
    'acme',
    [
      {
        keyless: {
          issuer: GH,
          subjectRegExp: 'https://github\\.com/acme/.*',
          github: { workflowRef: 'refs/heads/main' },
        },
      },
      { keyless: { issuer: GH, subject: 'ops@acme.example' } },
      { key: { secretRef: { namespace: 'ns', name: 'k', key: 'cosign.pub' } } },
      { key: { secretRef: { namespace: 'ns', name: 'missing', key: 'cosign.pub' } } },
      { keyless: { issuer: GH, subjectRegExp: '(' } },
    ],
    (i) => (i === 2 ? FP : undefined),
  );

  it.each<[string, VerifiedSigner, boolean]>([
    ['the pinned workflow on the pinned ref', release('refs/heads/main'), true],
    ['the pinned workflow on another ref (GitHub claim)', release('refs/heads/dev'), false],
    ['an exact subject', { kind: 'Keyless', identity: 'ops@acme.example', issuer: GH }, true],
    [
      'an exact subject from another issuer',
      { kind: 'Keyless', identity: 'ops@acme.example', issuer: 'x' },
      false,
    ],
    [
      'a lookalike (anchored)',
      { kind: 'Keyless', identity: 'https://evil.example/?https://github.com/acme/x', issuer: GH },
      false,
    ],
    ['the pinned key', { kind: 'Key', fingerprint: FP }, true],
    ['another key', { kind: 'Key', fingerprint: `sha256:${'b'.repeat(64)}` }, false],
  ])('%s: %s', (_, signer, accepted) => {
    expect(pin.accepts(signer)).toBe(accepted);
  });

  it('says what it expects, including signers it cannot use', () => {
    expect(pin.expected).toEqual([
      `^(?:https://github\\.com/acme/.*)$ (issuer ${GH})`,
      `ops@acme.example (issuer ${GH})`,
      `key ${FP}`,
      'a key that could not be read',
      `^(?:()$ (issuer ${GH})`,
    ]);
  });
});
