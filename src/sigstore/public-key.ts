// Public keys we were given (pins, --key): parsed once, named by the fingerprint baselines record.
import { createHash, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface TrustedKey {
  key: KeyObject;
  /** `sha256:<hex of the SubjectPublicKeyInfo DER>`. */
  fingerprint: string;
  /** Names a bundle's `publicKey.hint` may use for this key (hints are unauthenticated: only an ordering aid). */
  hints: string[];
}

export const MAX_PEM_LENGTH = 16 * 1024;

/** Parses one PEM public key. Private keys are refused rather than silently reduced to their public half. */
export function parsePublicKey(pem: string): TrustedKey | { error: string } {
  if (pem.length > MAX_PEM_LENGTH) return { error: `longer than ${MAX_PEM_LENGTH} characters` };
  if (/PRIVATE KEY-----/.test(pem)) return { error: 'this is a private key; give the public key' };
  if (!/-----BEGIN (PUBLIC KEY|RSA PUBLIC KEY)-----/.test(pem)) return { error: 'not a PEM public key' };
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    return { error: `not a usable public key: ${(error as Error).message}` };
  }
  return trustedKey(key);
}

export function trustedKey(key: KeyObject): TrustedKey {
  const hash = createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest();
  return {
    key,
    fingerprint: `sha256:${hash.toString('hex')}`,
    // The conformance suite uses base64(sha256(SPKI)); npm and ssh-style tools `SHA256:` + unpadded base64.
    hints: [
      hash.toString('base64'),
      `SHA256:${hash.toString('base64').replace(/=+$/, '')}`,
      hash.toString('hex'),
      `sha256:${hash.toString('hex')}`,
    ],
  };
}

export const keyFingerprint = (key: KeyObject): string => trustedKey(key).fingerprint;

export const hintNames = (key: TrustedKey, hint: string): boolean => hint !== '' && key.hints.includes(hint);
