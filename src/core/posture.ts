// The posture of one digest from everything discovery found (DESIGN.md §3). Pure. The order of the
// rules is the security decision:
//  1. a signature that verifies wins: an attacker who can push junk signatures beside a good one
//     must not be able to turn an image Invalid (and so denied) at will;
//  2. otherwise, if any place could not be read, we do not know yet: Checking — a valid signature
//     may sit exactly where we could not look, so neither Invalid nor Unsigned may be claimed;
//  3. otherwise a signature that genuinely fails against material we trust: Invalid;
//  4. otherwise one we cannot check with the roots we hold: Unverifiable;
//  5. otherwise nothing was found anywhere: Unsigned.
import type { Posture } from '../api/postures.ts';
import type { CheckingReason, Observation, SignatureLocation, VerifiedSigner } from './observation.ts';

export type SignatureVerdict =
  | { outcome: 'Verified'; signer: VerifiedSigner }
  | { outcome: 'Invalid'; reason: string }
  | { outcome: 'Unverifiable'; reason: string };

/** One signature found somewhere, and what verifying it said. */
export interface FoundSignature {
  location: SignatureLocation;
  /** The digest the signature is attached to (the judged digest, or its index or platform manifest). */
  attachedTo: string;
  verdict: SignatureVerdict;
}

/** A place that could not be read completely. */
export interface UnreadPlace {
  location: SignatureLocation | 'Manifest';
  reason: CheckingReason;
  detail: string;
}

const MAX_DETAIL = 512;

const signerKey = (s: VerifiedSigner): string =>
  s.kind === 'Keyless' ? `keyless\n${s.identity}\n${s.issuer}` : `key\n${s.fingerprint}`;

export function decidePosture(
  digest: string,
  found: readonly FoundSignature[],
  unread: readonly UnreadPlace[],
): Observation {
  const verified = found.filter((f) => f.verdict.outcome === 'Verified');
  if (verified.length > 0) {
    const signers = new Map<string, VerifiedSigner>();
    for (const f of verified)
      if (f.verdict.outcome === 'Verified') signers.set(signerKey(f.verdict.signer), f.verdict.signer);
    // Keyless outranks key: the strongest evidence decides the posture and where it came from.
    const deciding =
      verified.find((f) => f.verdict.outcome === 'Verified' && f.verdict.signer.kind === 'Keyless') ??
      verified[0]!;
    const posture: Posture =
      deciding.verdict.outcome === 'Verified' && deciding.verdict.signer.kind === 'Keyless'
        ? 'Signed'
        : 'KeySigned';
    return {
      digest,
      posture,
      signers: [...signers.values()],
      location: deciding.location,
      signedDigest: deciding.attachedTo,
    };
  }
  const firstUnread = unread[0];
  if (firstUnread) {
    return {
      digest,
      posture: 'Checking',
      signers: [],
      checkingReason: firstUnread.reason,
      detail: bound(`${firstUnread.location}: ${firstUnread.detail}`),
    };
  }
  for (const outcome of ['Invalid', 'Unverifiable'] as const) {
    const first = found.find((f) => f.verdict.outcome === outcome);
    if (first && first.verdict.outcome !== 'Verified') {
      return {
        digest,
        posture: outcome,
        signers: [],
        location: first.location,
        signedDigest: first.attachedTo,
        detail: bound(first.verdict.reason),
      };
    }
  }
  return { digest, posture: 'Unsigned', signers: [] };
}

function bound(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}
