// The outcome of verifying one signature. Where the line between Invalid and Unverifiable runs is a
// security decision (docs/concepts.md, "Where the line between Invalid, Unverifiable and Unsigned
// runs"); every adapter in this folder follows it:
//
// Verified      — every check passed against trust material we hold, and the signature covers the
//                 artifact being judged. Nothing else ever yields Verified: any error, of any kind,
//                 at any step, ends in Invalid or Unverifiable.
//
// Invalid       — a signature exists and a check against material we DO trust failed: bad signature
//                 bytes; a payload, subject or message digest naming another artifact; a blob that
//                 does not match its descriptor; a certificate that claims a CA of our trusted root
//                 but does not chain to it, or was not valid at the logged / timestamped signing
//                 time; a log promise, inclusion proof, checkpoint or timestamp by a log or TSA we
//                 trust that does not verify; a log entry that does not match the signature; a
//                 missing code-signing EKU; an identity we refuse to represent (control
//                 characters, over-long); a structurally malformed bundle or payload. Loud.
//
// Unverifiable  — the signature cannot be checked with what we hold: a certificate issued by a CA
//                 that is not in our trusted root (a private Sigstore, the staging instance), a log,
//                 CT log or timestamp authority we do not know, a key-signed signature without a
//                 matching key and without a verified entry of a trusted log recording its key, a bundle format version we do not support, a message signature
//                 given only a digest, less evidence (log entries, timestamps, SCTs) than the
//                 verification policy requires, or an unexpected error inside the verifier (the
//                 check did not complete, so nothing was shown to fail — see
//                 failure-classification.ts). Calm, but never trust: on a repository that was
//                 signed before it is a downgrade, on a pinned one a PinViolation.
//
// Why an attacker gains nothing by steering towards Unverifiable: anyone can produce an
// Unverifiable signature outright (a self-made CA), so Unverifiable is never treated as signed.
// What the line must prevent is a forgery of OUR trust anchors being reported as merely unknown,
// which is why the classification looks at the anchors the failing check relied on
// (failure-classification.ts), and why a genuine signature by a key we trust whose content names
// another artifact stays Invalid even when another part of it cannot be checked (the replay rule
// in bundle-verifier.ts and legacy-cosign.ts).
import type { VerifiedSigner } from '../core/observation.ts';
import type { SignatureVerdict } from '../core/posture.ts';

/** The verdict the posture decision (core/posture.ts) takes as input. */
export type VerificationResult = SignatureVerdict;

export type FailedVerification = Exclude<VerificationResult, { outcome: 'Verified' }>;

/** Reasons end up in statuses and events: keep them short. Untrusted parts are quoted by the caller. */
export const MAX_REASON_LENGTH = 512;

const bounded = (reason: string): string =>
  reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason;

export const verified = (signer: VerifiedSigner): VerificationResult => ({ outcome: 'Verified', signer });

export const invalid = (reason: string): FailedVerification => ({
  outcome: 'Invalid',
  reason: bounded(reason),
});

export const unverifiable = (reason: string): FailedVerification => ({
  outcome: 'Unverifiable',
  reason: bounded(reason),
});
