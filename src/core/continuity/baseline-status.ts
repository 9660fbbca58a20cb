// The next status of a SigningBaseline from its current status and the decisions just made for the
// repository's digests. Pure. Written so that repeating the same observations yields the same
// status (and so no write): lastSeen moves at most once per heartbeat, lastObserved only when the
// newest digest (the last one judged) or its posture changes — with several digests in use it
// must not alternate between them — and `established` is set once by wall-clock age and never
// reverts.
import type { Observation } from '../observation.ts';
import type { Decision, Strength } from './decide.ts';
import type { SignerRef } from './signer-ref.ts';
import { sameSigner, signerText } from './signer-ref.ts';

export type LearnedFrom = 'Observed' | 'Accepted' | 'Pinned' | 'LogHistory';

export interface LearnedSigner {
  identity?: string;
  issuer?: string;
  keyFingerprint?: string;
  learnedFrom: LearnedFrom;
  firstSeen: string;
  lastSeen: string;
}

export interface BaselineStatus {
  signers?: LearnedSigner[];
  signerSummary?: string;
  firstSignedTime?: string;
  established?: boolean;
  establishedTime?: string;
  strongestPosture?: Strength;
  lastObserved?: { digest: string; posture: Observation['posture']; time: string };
}

export interface BaselinePolicy {
  /** Wall-clock age after which a baseline is established (default 24 h). */
  establishAfterMs: number;
  /** lastSeen is refreshed at most this often, so steady state writes nothing. */
  heartbeatMs: number;
}

const STRENGTH: Record<Strength, number> = { Unverifiable: 1, KeySigned: 2, Signed: 3 };

export const toRef = (s: LearnedSigner): SignerRef =>
  s.keyFingerprint !== undefined
    ? { kind: 'Key', fingerprint: s.keyFingerprint }
    : { kind: 'Keyless', identity: s.identity ?? '', issuer: s.issuer ?? '' };

export const fromRef = (ref: SignerRef, learnedFrom: LearnedFrom, time: string): LearnedSigner =>
  ref.kind === 'Key'
    ? { keyFingerprint: ref.fingerprint, learnedFrom, firstSeen: time, lastSeen: time }
    : { identity: ref.identity, issuer: ref.issuer, learnedFrom, firstSeen: time, lastSeen: time };

/** Kubernetes timestamps are whole seconds. */
export const stamp = (date: Date): string => date.toISOString().replace(/\.\d+Z$/, 'Z');

export function nextBaselineStatus(
  current: BaselineStatus | undefined,
  judged: readonly { observation: Observation; decision: Decision }[],
  now: Date,
  policy: BaselinePolicy,
): { status: BaselineStatus; requeueAfterMs?: number } {
  const time = stamp(now);
  const signers = [...(current?.signers ?? [])];
  let strongest = current?.strongestPosture;
  let lastObserved = current?.lastObserved;

  for (const { observation, decision } of judged) {
    for (const ref of decision.learn) {
      if (!signers.some((s) => sameSigner(toRef(s), ref))) signers.push(fromRef(ref, 'Observed', time));
    }
    for (const ref of decision.seen) {
      const index = signers.findIndex((s) => sameSigner(toRef(s), ref));
      const signer = signers[index];
      if (signer && now.getTime() - Date.parse(signer.lastSeen) >= policy.heartbeatMs)
        signers[index] = { ...signer, lastSeen: time };
    }
    const vouched = decision.learn.length > 0 || decision.seen.length > 0;
    const p = observation.posture;
    if (vouched && (p === 'Signed' || p === 'KeySigned') && (!strongest || STRENGTH[p] > STRENGTH[strongest]))
      strongest = p;
  }
  const newest = judged.at(-1)?.observation;
  if (newest && (lastObserved?.digest !== newest.digest || lastObserved.posture !== newest.posture)) {
    lastObserved = { digest: newest.digest, posture: newest.posture, time };
  }

  const firstSignedTime = current?.firstSignedTime ?? (signers.length > 0 ? time : undefined);
  let established = current?.established === true;
  let establishedTime = current?.establishedTime;
  let requeueAfterMs: number | undefined;
  if (!established && firstSignedTime) {
    const due = Date.parse(firstSignedTime) + policy.establishAfterMs;
    if (due <= now.getTime()) {
      established = true;
      establishedTime = time;
    } else {
      requeueAfterMs = due - now.getTime();
    }
  }

  const status: BaselineStatus = {
    ...(signers.length > 0 ? { signers, signerSummary: summary(signers) } : {}),
    ...(firstSignedTime ? { firstSignedTime } : {}),
    established,
    ...(establishedTime ? { establishedTime } : {}),
    ...(strongest ? { strongestPosture: strongest } : {}),
    ...(lastObserved ? { lastObserved } : {}),
  };
  return requeueAfterMs === undefined ? { status } : { status, requeueAfterMs };
}

function summary(signers: readonly LearnedSigner[]): string {
  const [first, ...rest] = signers;
  const text = first ? signerText(toRef(first)) : '';
  const shown = text.length > 200 ? `${text.slice(0, 199)}…` : text;
  return rest.length > 0 ? `${shown} (+${rest.length})` : shown;
}
