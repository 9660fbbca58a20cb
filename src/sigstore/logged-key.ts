// The second route to a key (DESIGN §3, KeySigned: "a pinned key, or the key recorded in a verified
// log entry"). A Rekor v1 `hashedrekord` entry records the public key that made the signature
// (`spec.signature.publicKey.content`, a base64 PEM). Rekor checked that signature before logging
// it, and the log's promise (SET) or inclusion proof authenticates the body: once @sigstore/verify
// has verified that promise or proof with the log key of OUR trusted root, the entry's signature and
// digest against the bundle (its tlog body checks), and the signature with the recorded key, the
// log vouches that this key signed this payload at that time.
//
// That is all it vouches for. Anyone can create a key and log a signature with it, so a logged key
// is not a trusted signer: it is a fingerprint, and continuity (who signs: core/continuity, and the
// pins: core/pin-check) judges whether that key is the one expected — as for a keyless identity.
//
// This module only finds the candidate keys; the caller verifies the whole bundle with each one,
// and nothing here decides an outcome.
import type { Bundle } from '@sigstore/bundle';
import { z } from 'zod';
import { parsePublicKey } from './public-key.ts';
import type { TrustedKey } from './public-key.ts';
import type { TrustRoot } from './trusted-root.ts';

/** Distinct logged keys tried at most (each is a full verification; one entry records one key). */
const MAX_LOGGED_KEYS = 4;

const hashedrekordV001Schema = z.looseObject({
  kind: z.literal('hashedrekord'),
  apiVersion: z.literal('0.0.1'),
  spec: z.looseObject({
    signature: z.looseObject({
      publicKey: z.looseObject({
        content: z
          .string()
          .max(64 * 1024)
          .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'is not base64'),
      }),
    }),
  }),
});

/** Whether the log that issued `logId` is one of our trusted root (its validity is the verifier's check). */
export const fromTrustedLog = (logId: Uint8Array, trust: TrustRoot): boolean =>
  trust.material.tlogs.some((tlog) => tlog.logID.equals(logId));

/**
 * The public key a Rekor v1 hashedrekord body records, if it records one. A body recording a
 * certificate (a keyless signature), another kind (intoto, dsse: the key sits elsewhere) or a
 * Rekor v2 entry gives none. The body is unauthenticated until the verifier checks the log's promise.
 */
export function recordedPublicKey(canonicalizedBody: Uint8Array): TrustedKey | undefined {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(canonicalizedBody).toString('utf8'));
  } catch {
    return undefined;
  }
  const body = hashedrekordV001Schema.safeParse(json);
  if (!body.success) return undefined;
  // parsePublicKey takes only a PEM public key: a certificate (keyless) is not a key here.
  const key = parsePublicKey(
    Buffer.from(body.data.spec.signature.publicKey.content, 'base64').toString('utf8'),
  );
  return 'error' in key ? undefined : key;
}

/**
 * The distinct public keys recorded by the bundle's log entries from logs of our trusted root,
 * in entry order. Entries from logs we do not know are not looked at: their promise cannot be
 * checked, so what they record means nothing.
 */
export function loggedKeys(bundle: Bundle, trust: TrustRoot): TrustedKey[] {
  const keys: TrustedKey[] = [];
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    if (!entry.logId || !fromTrustedLog(entry.logId.keyId, trust)) continue;
    const key = recordedPublicKey(entry.canonicalizedBody);
    if (key && !keys.some((k) => k.fingerprint === key.fingerprint)) keys.push(key);
    if (keys.length === MAX_LOGGED_KEYS) break;
  }
  return keys;
}
