// The continuity decision table of DESIGN.md §4, as one pure function. Findings, the enforcement
// parameters and the CLI all call it, so what a finding says would be blocked is exactly what
// admission blocks.
import type { Observation, VerifiedSigner } from '../observation.ts';
import type { SignerRef } from './signer-ref.ts';
import { sameSigner, signerRef, signerText } from './signer-ref.ts';

export type DriftKind =
  'Unsigned' | 'Invalid' | 'IdentityChanged' | 'IssuerChanged' | 'Downgraded' | 'PinViolation';
export type Severity = 'Low' | 'Medium' | 'High' | 'Critical';
export type Strength = 'Signed' | 'KeySigned' | 'Unverifiable';

export interface BaselineState {
  established: boolean;
  signers: readonly SignerRef[];
  strongest: Strength;
}

export interface PinState {
  name: string;
  /** Human-readable signers the pin accepts, for findings and messages. */
  expected: readonly string[];
  /** Whether a verified signer is one the pin accepts (pure; compiled from the pin). */
  accepts: (signer: VerifiedSigner) => boolean;
}

export interface DecisionInput {
  observation: Observation;
  baseline?: BaselineState;
  pin?: PinState;
  /** Digests whose finding a user accepted (Unsigned, Invalid, Downgraded: that digest only). */
  acceptedDigests: ReadonlySet<string>;
  /** The digest was verified by a baseline or pin signer before (so Checking need not block it). */
  verifiedBefore: boolean;
}

export interface Finding {
  kind: DriftKind;
  severity: Severity;
  /** What the finding is about: the digest, or the new signer. */
  subject: string;
  expectedSource: 'Baseline' | 'Pin';
  expected: string[];
  observed: string;
}

export interface Decision {
  /** Whether a namespace that enforces admits the digest. */
  admit: boolean;
  /** Why, for admission messages and the CLI. */
  reason: string;
  finding?: Finding;
  /** Signers to record as observed: a new (cold) baseline, or the widening of a cold one. */
  learn: SignerRef[];
  /** Known signers seen again (their lastSeen moves). */
  seen: SignerRef[];
  /** Whether the repository is guarded (established baseline or pin): enforcement checks it. */
  guarded: boolean;
}

const STRENGTH: Record<Strength, number> = { Unverifiable: 1, KeySigned: 2, Signed: 3 };

export function decide(input: DecisionInput): Decision {
  const { observation: o, baseline, pin } = input;
  const observedSigners = o.signers.map(signerRef);
  const observed =
    observedSigners.length > 0 ? observedSigners.map(signerText).join(', ') : describePosture(o);
  const base = { learn: [] as SignerRef[], seen: [] as SignerRef[] };

  if (pin) {
    const ok = (o.posture === 'Signed' || o.posture === 'KeySigned') && o.signers.some((s) => pin.accepts(s));
    if (ok)
      return {
        ...base,
        admit: true,
        guarded: true,
        reason: `signed by a signer of pin ${pin.name}`,
        seen: observedSigners,
      };
    return {
      ...base,
      admit: false,
      guarded: true,
      reason: `pin ${pin.name} expects ${pin.expected.join(' or ')}; observed ${observed}`,
      finding: {
        kind: 'PinViolation',
        severity: 'Critical',
        subject: o.digest,
        expectedSource: 'Pin',
        expected: [...pin.expected],
        observed,
      },
    };
  }

  const guarded = baseline?.established === true;
  const accepted = input.acceptedDigests.has(o.digest);
  const expected = baseline ? baseline.signers.map(signerText) : [];
  const finding = (kind: DriftKind, subject: string): Finding => ({
    kind,
    severity:
      kind === 'Invalid' ? (guarded ? 'Critical' : baseline ? 'Low' : 'Medium') : guarded ? 'High' : 'Low',
    subject,
    expectedSource: 'Baseline',
    expected,
    observed,
  });
  // A regression: on an established baseline it blocks unless that digest was accepted; on a cold
  // one it is reported at low severity and admitted.
  const regression = (kind: DriftKind, subject: string, reason: string): Decision => ({
    ...base,
    guarded,
    admit: !guarded || accepted,
    reason: guarded && accepted ? `${reason} (accepted for this digest)` : reason,
    finding: finding(kind, subject),
  });

  if (o.posture === 'Invalid') {
    return {
      ...base,
      guarded,
      admit: accepted,
      reason: accepted
        ? 'invalid signature (accepted for this digest)'
        : `invalid signature: ${o.detail ?? 'verification failed'}`,
      finding: finding('Invalid', o.digest),
    };
  }
  if (o.posture === 'Checking') {
    const admit = !guarded || input.verifiedBefore;
    return {
      ...base,
      guarded,
      admit,
      reason: admit
        ? 'signatures not readable right now; admitted'
        : `not yet verified (${o.checkingReason ?? 'registry'}), retry shortly`,
    };
  }
  if (!baseline) {
    if (o.posture === 'Signed' || o.posture === 'KeySigned')
      return {
        ...base,
        guarded: false,
        admit: true,
        reason: 'first signature seen: learning the signer',
        learn: observedSigners,
      };
    return {
      ...base,
      guarded: false,
      admit: true,
      reason: `no signing history to compare with (${o.posture})`,
    };
  }

  if (o.posture === 'Unsigned')
    return regression(
      'Unsigned',
      o.digest,
      `unsigned image in a repository signed by ${expected.join(', ')}`,
    );
  const known = observedSigners.filter((s) => baseline.signers.some((b) => sameSigner(s, b)));
  if (known.length > 0) {
    const learn = guarded ? [] : observedSigners.filter((s) => !known.includes(s));
    return { ...base, guarded, admit: true, reason: 'signed by a known signer', seen: known, learn };
  }
  const strength: Strength = o.posture === 'Unverifiable' ? 'Unverifiable' : o.posture;
  if (STRENGTH[strength] < STRENGTH[baseline.strongest]) {
    return regression(
      'Downgraded',
      o.digest,
      `${strength} image in a repository signed ${baseline.strongest} before`,
    );
  }
  const newSigner = observedSigners[0];
  if (!newSigner)
    return { ...base, guarded, admit: true, reason: 'unverifiable, as this repository was before' };
  // A new signer at the same or a stronger level: a new issuer for a known identity, or a new identity.
  const issuerChanged =
    newSigner.kind === 'Keyless' &&
    baseline.signers.some((b) => b.kind === 'Keyless' && b.identity === newSigner.identity);
  const kind: DriftKind = issuerChanged ? 'IssuerChanged' : 'IdentityChanged';
  const decision = regression(
    kind,
    signerText(newSigner),
    `signed by ${signerText(newSigner)}, not by ${expected.join(', ')}`,
  );
  // An identity change is never learned silently on an established baseline (accepting the
  // finding widens it); a cold baseline widens.
  return guarded ? { ...decision, admit: false } : { ...decision, learn: observedSigners };
}

function describePosture(o: Observation): string {
  if (o.posture === 'Checking') return `Checking (${o.checkingReason ?? 'unknown'})`;
  return o.detail ? `${o.posture}: ${o.detail}` : o.posture;
}
