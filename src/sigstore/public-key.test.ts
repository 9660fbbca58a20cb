import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDigest, parseDigest } from './artifact-digest.ts';
import { hintNames, parsePublicKey } from './public-key.ts';
import type { TrustedKey } from './public-key.ts';
import { sigstoreFixture } from '../../test/shared-fixtures.ts';

describe('parsePublicKey', () => {
  const pem = readFileSync(sigstoreFixture('bundles/C-conformance-managed-key-happy-path/key.pub'), 'utf8');

  it('fingerprints the SubjectPublicKeyInfo DER', () => {
    const key = parsePublicKey(pem) as TrustedKey;
    const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
    expect(key.fingerprint).toBe(`sha256:${createHash('sha256').update(der).digest('hex')}`);
  });

  it('recognises the hint styles bundles use', () => {
    const key = parsePublicKey(pem) as TrustedKey;
    expect(hintNames(key, 'TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk=')).toBe(true); // conformance suite
    expect(hintNames(key, 'SHA256:TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk')).toBe(true); // npm style
    expect(hintNames(key, '')).toBe(false);
    expect(hintNames(key, 'other')).toBe(false);
  });

  it('accepts Ed25519 and RSA keys', () => {
    for (const type of ['ed25519', 'rsa'] as const) {
      const { publicKey } =
        type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
      const parsed = parsePublicKey(publicKey.export({ type: 'spki', format: 'pem' }).toString());
      expect(parsed).toHaveProperty('fingerprint');
    }
  });

  it.each([
    [
      'a private key',
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ],
    ['a certificate', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'],
    ['garbage in a public key block', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'],
    ['not PEM', 'hello'],
    ['too long', `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(20000)}\n-----END PUBLIC KEY-----\n`],
  ])('refuses %s', (_name, text) => {
    expect(parsePublicKey(text)).toHaveProperty('error');
  });
});

describe('parseDigest', () => {
  it.each([
    [`sha256:${'a'.repeat(64)}`, true],
    [`sha256:${'A'.repeat(64)}`, true],
    [`sha384:${'a'.repeat(96)}`, true],
    [`sha512:${'a'.repeat(128)}`, true],
    [`sha256:${'a'.repeat(63)}`, false],
    [`sha512:${'a'.repeat(64)}`, false],
    [`md5:${'a'.repeat(32)}`, false],
    [`sha256:${'g'.repeat(64)}`, false],
    ['sha256', false],
    [`constructor:${'a'.repeat(64)}`, false],
  ])('%s', (text, ok) => {
    const digest = parseDigest(text);
    expect('error' in digest).toBe(!ok);
    if (!('error' in digest)) expect(formatDigest(digest)).toBe(text.toLowerCase());
  });
});
