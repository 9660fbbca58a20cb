import { describe, expect, it } from 'vitest';
import type { VerifiedSigner } from './observation.ts';
import { decidePosture } from './posture.ts';
import type { FoundSignature, UnreadPlace } from './posture.ts';

const D = `sha256:${'a'.repeat(64)}`;
const INDEX = `sha256:${'b'.repeat(64)}`;
const release: VerifiedSigner = {
  kind: 'Keyless',
  identity: 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1',
  issuer: 'https://token.actions.githubusercontent.com',
};
const key: VerifiedSigner = { kind: 'Key', fingerprint: `sha256:${'c'.repeat(64)}` };

const verified = (
  signer: VerifiedSigner,
  attachedTo = D,
  location: FoundSignature['location'] = 'ReferrersAPI',
): FoundSignature => ({
  location,
  attachedTo,
  verdict: { outcome: 'Verified', signer },
});
const invalid: FoundSignature = {
  location: 'LegacySigTag',
  attachedTo: D,
  verdict: { outcome: 'Invalid', reason: 'payload names another digest' },
};
const unverifiable: FoundSignature = {
  location: 'ReferrersTag',
  attachedTo: D,
  verdict: { outcome: 'Unverifiable', reason: 'certificate from a CA not in the trusted root' },
};
const timeout: UnreadPlace = { location: 'LegacySigTag', reason: 'Timeout', detail: 'no answer within 10 s' };

describe('decidePosture', () => {
  it.each<[string, FoundSignature[], UnreadPlace[], string, Partial<ReturnType<typeof decidePosture>>]>([
    ['nothing anywhere', [], [], 'Unsigned', { signers: [] }],
    [
      'a keyless signature',
      [verified(release)],
      [],
      'Signed',
      { signers: [release], location: 'ReferrersAPI', signedDigest: D },
    ],
    [
      'a key signature',
      [verified(key, D, 'LegacySigTag')],
      [],
      'KeySigned',
      { signers: [key], location: 'LegacySigTag' },
    ],
    [
      'keyless outranks key, both recorded',
      [verified(key), verified(release, INDEX, 'LegacySigTag')],
      [],
      'Signed',
      { signers: [key, release], location: 'LegacySigTag', signedDigest: INDEX },
    ],
    ['a good signature beside junk stays Signed', [invalid, verified(release)], [], 'Signed', {}],
    [
      'a good signature while another place timed out stays Signed',
      [verified(release)],
      [timeout],
      'Signed',
      {},
    ],
    [
      'an invalid signature',
      [invalid],
      [],
      'Invalid',
      { detail: 'payload names another digest', location: 'LegacySigTag' },
    ],
    ['invalid beats unverifiable', [unverifiable, invalid], [], 'Invalid', {}],
    ['an unverifiable signature', [unverifiable], [], 'Unverifiable', { location: 'ReferrersTag' }],
    [
      'a place that could not be read is never Unsigned',
      [],
      [timeout],
      'Checking',
      { checkingReason: 'Timeout', detail: 'LegacySigTag: no answer within 10 s' },
    ],
    [
      'nor Invalid: a good one may be where we could not look',
      [invalid],
      [timeout],
      'Checking',
      { checkingReason: 'Timeout' },
    ],
    [
      'the same signer twice is one signer',
      [verified(release), verified(release, INDEX)],
      [],
      'Signed',
      { signers: [release] },
    ],
  ])('%s → %s', (_, found, unread, posture, extra) => {
    const observation = decidePosture(D, found, unread);
    expect(observation.posture).toBe(posture);
    expect(observation.digest).toBe(D);
    expect(observation).toMatchObject(extra);
  });

  it('bounds the detail it carries from untrusted text', () => {
    const long: FoundSignature = { ...invalid, verdict: { outcome: 'Invalid', reason: 'x'.repeat(10_000) } };
    expect(decidePosture(D, [long], []).detail!.length).toBeLessThanOrEqual(512);
  });
});
