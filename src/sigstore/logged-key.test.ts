import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { describe, expect, it } from 'vitest';
import { loggedKeys, recordedPublicKey } from './logged-key.ts';
import { parsePublicKey } from './public-key.ts';
import type { TrustedKey } from './public-key.ts';
import { parseTrustedRoot, publicGoodTrustRoot } from './trusted-root.ts';
import type { TrustRoot } from './trusted-root.ts';
import { sigstoreFixture } from '../../test/shared-fixtures.ts';

const read = (path: string): string => readFileSync(sigstoreFixture(path), 'utf8');
const trust = publicGoodTrustRoot();
const managedKey = parsePublicKey(read('bundles/C-conformance-managed-key-happy-path/key.pub')) as TrustedKey;

interface Json {
  verificationMaterial: { tlogEntries: { logId: { keyId: string }; canonicalizedBody: string }[] };
}
const bundleJson = (id: string): Json => JSON.parse(read(`bundles/${id}/bundle.sigstore.json`)) as Json;
const body = (json: unknown): Buffer => Buffer.from(JSON.stringify(json));
const firstBody = (id: string): Buffer =>
  Buffer.from(bundleJson(id).verificationMaterial.tlogEntries[0]!.canonicalizedBody, 'base64');
const hashedrekord = (publicKeyContent: string, apiVersion = '0.0.1') => ({
  apiVersion,
  kind: 'hashedrekord',
  spec: {
    data: { hash: { algorithm: 'sha256', value: '00' } },
    signature: { content: 'AAAA', publicKey: { content: publicKeyContent } },
  },
});
const pemBase64 = (path: string): string => Buffer.from(read(path)).toString('base64');

describe('recordedPublicKey', () => {
  it('reads the public key of a key-signed hashedrekord entry', () => {
    expect(recordedPublicKey(firstBody('C-conformance-managed-key-happy-path'))?.fingerprint).toBe(
      managedKey.fingerprint,
    );
  });

  it.each<[string, Buffer]>([
    ['a keyless entry (it records a certificate)', firstBody('C-conformance-happy-path-v0.3')],
    ['an intoto entry', firstBody('C-npm-publish-attestation-sigstore-1.3.0')],
    ['a Rekor v2 entry', body(hashedrekord(pemBase64('keys/connaisseur-bob.pub'), '0.0.2'))],
    ['another kind', body({ ...hashedrekord(pemBase64('keys/connaisseur-bob.pub')), kind: 'rekord' })],
    ['a key that is not base64', body(hashedrekord('not base64!'))],
    ['base64 that is not a PEM key', body(hashedrekord(Buffer.from('hello').toString('base64')))],
    [
      'a private key',
      body(
        hashedrekord(
          Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n').toString('base64'),
        ),
      ),
    ],
    ['no public key', body({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: { signature: {} } })],
    ['a body that is not JSON', Buffer.from('{')],
    ['JSON that is not an object', body(['hashedrekord'])],
  ])('finds none in %s', (_name, canonicalizedBody) => {
    expect(recordedPublicKey(canonicalizedBody)).toBeUndefined();
  });
});

describe('loggedKeys', () => {
  const keyed = bundleJson('C-conformance-managed-key-happy-path');
  const entry = keyed.verificationMaterial.tlogEntries[0]!;

  it('returns the key recorded by an entry of a log we trust', () => {
    expect(loggedKeys(bundleFromJSON(keyed), trust).map((k) => k.fingerprint)).toEqual([
      managedKey.fingerprint,
    ]);
  });

  it('ignores entries of logs we do not know', () => {
    const staging = parseTrustedRoot(read('trusted-roots/staging.trusted_root.json'), 'staging') as TrustRoot;
    expect(loggedKeys(bundleFromJSON(keyed), staging)).toEqual([]);
  });

  it('returns each key once, in entry order', () => {
    const other = {
      ...entry,
      logIndex: '1',
      canonicalizedBody: body(hashedrekord(pemBase64('keys/connaisseur-bob.pub'))).toString('base64'),
    };
    const bundle = {
      ...keyed,
      verificationMaterial: { ...keyed.verificationMaterial, tlogEntries: [entry, other, entry] },
    };
    const bob = parsePublicKey(read('keys/connaisseur-bob.pub')) as TrustedKey;
    expect(loggedKeys(bundleFromJSON(bundle), trust).map((k) => k.fingerprint)).toEqual([
      managedKey.fingerprint,
      bob.fingerprint,
    ]);
  });

  it('finds none in a keyless bundle', () => {
    expect(loggedKeys(bundleFromJSON(bundleJson('C-conformance-happy-path-v0.3')), trust)).toEqual([]);
  });
});
