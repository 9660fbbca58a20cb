import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Signer } from '../api/signer.ts';
import { checkPinSigners, selectorSummary } from './pin-check.ts';
import type { KeySource } from './pin-check.ts';

const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();
const keyless = (subjectRegExp: string): Signer => ({
  keyless: { issuer: 'https://token.actions.githubusercontent.com', subjectRegExp },
});
const inline = (publicKey: string): Signer => ({ key: { publicKey } });
const fromSecret: Signer = { key: { secretRef: { namespace: 'ns', name: 'keys', key: 'cosign.pub' } } };

describe('checkPinSigners', () => {
  const keyOf = (signer: Signer): KeySource =>
    signer.key?.publicKey !== undefined
      ? { pem: signer.key.publicKey }
      : { missing: 'Secret ns/keys not found' };

  it.each<[string, Signer[], string | undefined]>([
    ['a good regexp and a good key', [keyless('https://github.com/acme/.*'), inline(pem)], undefined],
    [
      'an exact subject',
      [{ keyless: { issuer: 'https://accounts.google.com', subject: 'a@b.c' } }],
      undefined,
    ],
    ['a regexp that does not compile', [keyless('(unclosed')], 'InvalidRegExp'],
    ['a key that is not PEM', [inline('not a key')], 'InvalidKey'],
    [
      'a private key is not a public key',
      [inline('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')],
      'InvalidKey',
    ],
    ['a Secret that cannot be read', [fromSecret], 'SecretNotFound'],
    ['the first problem wins', [inline(pem), keyless('['), inline('x')], 'InvalidRegExp'],
  ])('%s', (_, signers, reason) => {
    expect(checkPinSigners(signers, keyOf)?.reason).toBe(reason);
  });

  it('names the signer at fault', () => {
    expect(checkPinSigners([inline(pem), keyless('(')], keyOf)?.message).toMatch(
      /^spec\.signers\[1\]\.keyless\.subjectRegExp does not compile/,
    );
  });
});

describe('selectorSummary', () => {
  it.each([
    [{ repositories: ['ghcr.io/acme/*'] }, 'ghcr.io/acme/*'],
    [{ repositories: ['ghcr.io/acme/*', 'docker.io/acme/*', 'quay.io/acme/*'] }, 'ghcr.io/acme/* (+2)'],
    [{ nodeSelector: { matchLabels: { pool: 'tdx', zone: 'a' } } }, 'nodes: pool=tdx,zone=a'],
    [{ nodeSelector: { matchExpressions: [{}, {}] } }, 'nodes: 2 expressions'],
    [{ nodeSelector: {} }, 'nodes: all'],
  ])('%j → %s', (spec, expected) => {
    expect(selectorSummary(spec)).toBe(expected);
  });
});
