// The internals of @sigstore/core that certificate-memo.ts relies on, and that memoizing changes
// nothing the library computes.
import { readFileSync } from 'node:fs';
import { X509Certificate } from '@sigstore/core';
import { describe, expect, it } from 'vitest';
import { memoizeCertificate, memoizeTrustMaterial } from './certificate-memo.ts';
import { parseTrustedRoot, publicGoodTrustRoot } from './trusted-root.ts';
import type { TrustRoot } from './trusted-root.ts';
import { sigstoreFixture } from '../../test/shared-fixtures.ts';

const staging = parseTrustedRoot(
  readFileSync(sigstoreFixture('trusted-roots/staging.trusted_root.json'), 'utf8'),
  'staging',
) as TrustRoot;
const publicGood = publicGoodTrustRoot();

/** The DER bytes of every CA certificate of the public-good root, as the root file carries them. */
const caDer = (): Buffer<ArrayBuffer>[] =>
  publicGood.root.certificateAuthorities.flatMap((ca) =>
    (ca.certChain?.certificates ?? []).map((c) => Buffer.copyBytesFrom(c.rawBytes)),
  );

describe('memoizeCertificate', () => {
  it('encodes to the bytes the certificate was parsed from, once', () => {
    for (const der of caDer()) {
      const cert = memoizeCertificate(X509Certificate.parse(der));
      expect(cert.root.toDER()).toEqual(der);
      expect(cert.root.toDER()).toBe(cert.root.toDER());
      expect(cert.tbsCertificate.toDER()).toBe(cert.tbsCertificate.toDER());
      expect(cert.publicKey).toBe(cert.publicKey);
    }
  });

  it('leaves equals, verify and clone as they were', () => {
    const [a, b] = caDer().map((der) => X509Certificate.parse(der));
    const [ma, mb] = caDer().map((der) => memoizeCertificate(X509Certificate.parse(der)));
    expect(ma!.equals(a!)).toBe(true);
    expect(ma!.equals(mb!)).toBe(a!.equals(b!));
    expect(ma!.clone().root.toDER()).toEqual(a!.root.toDER());
    // A clone is a fresh parse, free to be changed (verifySCTs removes an extension from it).
    expect(ma!.clone().root).not.toBe(ma!.root);
  });
});

describe('memoizeTrustMaterial', () => {
  it('was applied to the CA certificates of a parsed root', () => {
    const ca = staging.material.certificateAuthorities[0]!.certChain[0]!;
    expect(ca.root.toDER()).toBe(ca.root.toDER());
    expect(Object.hasOwn(ca, 'verify')).toBe(true);
  });

  it('remembers signatures between trusted certificates, never a verdict on another certificate', () => {
    const material = staging.material;
    const chain = material.certificateAuthorities.find((ca) => ca.certChain.length > 1)?.certChain;
    if (!chain) throw new Error('the staging root has no CA with an intermediate');
    const [intermediate, root] = [chain[0]!, chain[chain.length - 1]!];
    expect(intermediate.verify(root)).toBe(true);
    expect(root.verify()).toBe(true);
    // The same certificate parsed anew is not one of ours: checked for real, every time.
    const stranger = X509Certificate.parse(Buffer.copyBytesFrom(root.root.toDER()));
    expect(intermediate.verify(stranger)).toBe(true);
    // An issuer that did not sign it: false, also when remembered.
    expect(root.verify(intermediate)).toBe(false);
    expect(root.verify(intermediate)).toBe(false);
  });

  it('is idempotent', () => {
    const material = publicGood.material;
    const cert = material.certificateAuthorities[0]!.certChain[0]!;
    const der = cert.root.toDER();
    memoizeTrustMaterial(material);
    expect(cert.root.toDER()).toBe(der);
  });
});
