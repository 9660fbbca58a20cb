import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultThresholds, parseTrustedRoot, publicGoodTrustRoot } from './trusted-root.ts';
import type { TrustRoot } from './trusted-root.ts';
import { sigstoreFixture } from '../../test/shared-fixtures.ts';

const read = (file: string): string => readFileSync(sigstoreFixture(`trusted-roots/${file}`), 'utf8');
const parse = (file: string): TrustRoot => {
  const root = parseTrustedRoot(read(file), file);
  if ('error' in root) throw new Error(root.error);
  return root;
};

describe('publicGoodTrustRoot', () => {
  it('is the public-good root embedded in @sigstore/tuf, loaded without network', () => {
    const embedded = publicGoodTrustRoot();
    expect(embedded.root).toEqual(parse('public-good.trusted_root.json').root);
    expect(embedded.material.certificateAuthorities).toHaveLength(2);
    expect(embedded.material.tlogs.map((t) => t.baseURL)).toEqual([
      'https://rekor.sigstore.dev',
      'https://log2025-1.rekor.sigstore.dev',
    ]);
    expect(embedded.material.timestampAuthorities).toHaveLength(1);
  });

  it('is parsed once', () => {
    expect(publicGoodTrustRoot()).toBe(publicGoodTrustRoot());
  });
});

describe('defaultThresholds', () => {
  it.each([
    ['public-good.trusted_root.json', { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 }],
    ['staging.trusted_root.json', { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 }],
    // GitHub's instance has no logs: its bundles carry a TSA timestamp instead.
    ['github.trusted_root.json', { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 1 }],
  ])('%s', (file, thresholds) => {
    expect(defaultThresholds(parse(file))).toEqual(thresholds);
  });
});

describe('parseTrustedRoot', () => {
  const good = JSON.parse(read('public-good.trusted_root.json')) as {
    certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
    tlogs: { publicKey: { rawBytes: string } }[];
  };
  const variant = (change: (root: typeof good) => void): string => {
    const copy = structuredClone(good);
    change(copy);
    return JSON.stringify(copy);
  };

  it.each<[string, string, RegExp]>([
    ['not JSON', '{', /not JSON/],
    ['not a trusted root', '{"mediaType":"application/json"}', /mediaType/],
    ['a list', '[]', /malformed/],
    [
      'a certificate that is not base64',
      variant((r) => (r.certificateAuthorities[0]!.certChain.certificates[0]!.rawBytes = 'not base64!')),
      /certificateAuthorities\.0\.certChain\.certificates\.0\.rawBytes/,
    ],
    [
      'a CA without certificates',
      variant((r) => (r.certificateAuthorities[0]!.certChain.certificates = [])),
      /certificateAuthorities\.0\.certChain\.certificates/,
    ],
    [
      'a certificate that does not parse',
      variant((r) => (r.certificateAuthorities[0]!.certChain.certificates[0]!.rawBytes = 'AAAA')),
      /unusable key material/,
    ],
    [
      'a log key that does not parse',
      variant((r) => (r.tlogs[0]!.publicKey.rawBytes = 'AAAA')),
      /unusable key material/,
    ],
    ['too large', ' '.repeat(1024 * 1024 + 1), /larger than/],
  ])('refuses %s', (_name, text, message) => {
    const parsed = parseTrustedRoot(text, 'custom.json');
    expect(parsed).toHaveProperty('error');
    if ('error' in parsed) {
      expect(parsed.error).toMatch(message);
      expect(parsed.error).toContain('custom.json');
    }
  });

  it('accepts roots without logs and with null fields', () => {
    expect(parse('github.trusted_root.json').material.tlogs).toEqual([]);
    const trustRootWithNulls = readFileSync(
      sigstoreFixture('bundles/C-conformance-trust-root-tlog-validity-end-inclusive/trusted_root.json'),
      'utf8',
    );
    expect(parseTrustedRoot(trustRootWithNulls, 'custom')).not.toHaveProperty('error');
  });
});
