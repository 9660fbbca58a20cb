// Everything the continuity layer decides for one repository, in one pure function: the decision for
// each digest in use, the next SigningBaseline status and the next status of every DriftFinding of
// the repository. The controller only reads its inputs and writes what differs.
import type { Observation } from '../observation.ts';
import type { BaselinePolicy, BaselineStatus } from './baseline-status.ts';
import { fromRef, nextBaselineStatus, stamp, toRef } from './baseline-status.ts';
import { decide } from './decide.ts';
import type { Decision, PinState } from './decide.ts';
import { bounded, nextFindingStatus } from './finding-status.ts';
import type { FindingStatus, WorkloadRef } from './finding-status.ts';
import { objectName } from './object-name.ts';
import { sameSigner, signerRef, signerText } from './signer-ref.ts';

export interface DigestInUse {
  observation: Observation;
  /** Workloads that run or template the digest. */
  workloads: readonly WorkloadRef[];
  /**
   * False for a digest already in use when the inventory became complete (after a start): its
   * place in the order says nothing about which digest is newest.
   */
  fresh?: boolean;
}

export interface ExistingFinding {
  name: string;
  kind: string;
  subject: string;
  status?: FindingStatus;
  /** The signwarden.dev/accept annotation, if set. */
  acceptReason?: string;
}

export interface RepositoryInput {
  repository: string;
  /** Digests run or templated now, oldest first (the last one is the newest observation). */
  inUse: readonly DigestInUse[];
  /** False while the inventory is still filling after a start: nothing resolves then. */
  inventoryComplete: boolean;
  /** The current SigningBaseline status; undefined when the repository has none. */
  baseline?: BaselineStatus;
  pin?: PinState;
  findings: readonly ExistingFinding[];
  /** Digests verified by a baseline or pin signer before (Checking does not block them). */
  verifiedDigests: ReadonlySet<string>;
  now: Date;
  policy: BaselinePolicy;
}

export interface PlannedFinding {
  name: string;
  kind: string;
  subject: string;
  status: FindingStatus;
  /** Newly open (created, or back from Resolved): worth an event on its workloads. */
  opened: boolean;
}

export interface RepositoryPlan {
  decisions: { observation: Observation; decision: Decision }[];
  /** The SigningBaseline status to hold; undefined: the repository has no baseline (nothing learned). */
  baseline?: BaselineStatus;
  /** Signers learned from accepted findings in this pass, for the log. */
  accepted: string[];
  findings: PlannedFinding[];
  requeueAfterMs?: number;
}

/** Accepting these admits the one digest; accepting an identity or issuer change widens the baseline. */
const DIGEST_KINDS = new Set(['Unsigned', 'Invalid', 'Downgraded']);
const SIGNER_KINDS = new Set(['IdentityChanged', 'IssuerChanged']);
/** Findings about a digest's posture: they hold only while the digest still shows them. */
const POSTURE_KINDS = new Set([...DIGEST_KINDS, 'PinViolation']);

/** Readable from the repository and kind, unique by the whole subject (the subject field is bounded). */
export const findingName = (repository: string, kind: string, subject: string): string =>
  objectName(`${repository}|${kind}|${subject}`, `${repository} ${kind}`);
const MAX_SUBJECT = 1100;

export function planRepository(input: RepositoryInput): RepositoryPlan {
  const { inUse, now, policy } = input;
  const accepted = input.findings.filter((f) => f.acceptReason !== undefined || f.status?.acceptance);
  const acceptedDigests = new Set(accepted.filter((f) => DIGEST_KINDS.has(f.kind)).map((f) => f.subject));
  const acceptedSigners = new Set(accepted.filter((f) => SIGNER_KINDS.has(f.kind)).map((f) => f.subject));

  // An accepted identity or issuer change widens the baseline with the signer it names, as seen in
  // a digest in use (the text is compared, never parsed back into a signer).
  const widened = widen(input.baseline, inUse, acceptedSigners, stamp(now));
  // Due establishment counts before deciding: a digest seen the moment the age is reached must not
  // widen the baseline as if it were still cold.
  const firstSigned = widened.status?.firstSignedTime;
  const baselineState = widened.status && {
    established:
      widened.status.established === true ||
      (firstSigned !== undefined && Date.parse(firstSigned) + policy.establishAfterMs <= now.getTime()),
    signers: (widened.status.signers ?? []).map(toRef),
    strongest: widened.status.strongestPosture ?? 'Unverifiable',
  };
  const decisions = inUse.map(({ observation }) => ({
    observation,
    decision: decide({
      observation,
      ...(baselineState ? { baseline: baselineState } : {}),
      ...(input.pin ? { pin: input.pin } : {}),
      acceptedDigests,
      verifiedBefore: input.verifiedDigests.has(observation.digest),
    }),
  }));

  // Checking is transient: it neither teaches the baseline nor becomes its last observation.
  const resting = lastObservedFirst(
    decisions.filter((d) => d.observation.posture !== 'Checking'),
    widened.status?.lastObserved?.digest,
    new Set(inUse.filter((u) => u.fresh === false).map((u) => u.observation.digest)),
  );
  const next = nextBaselineStatus(widened.status, resting, now, policy);
  const hasBaseline = widened.status !== undefined || (next.status.signers?.length ?? 0) > 0;

  return {
    decisions,
    ...(hasBaseline ? { baseline: next.status } : {}),
    accepted: widened.learned,
    findings: planFindings(input, decisions),
    ...(hasBaseline && next.requeueAfterMs !== undefined ? { requeueAfterMs: next.requeueAfterMs } : {}),
  };
}

/**
 * The judged digests in the order the baseline reads them (the last is its lastObserved): after a
 * start the order of digests already in use is arbitrary, so the recorded last observation stays
 * last unless a digest first seen since then is newer.
 */
function lastObservedFirst<T extends { observation: Observation }>(
  judged: T[],
  last: string | undefined,
  stale: ReadonlySet<string>,
): T[] {
  const newest = judged.at(-1);
  const recorded = judged.find((d) => d.observation.digest === last);
  if (!newest || !recorded || !stale.has(newest.observation.digest)) return judged;
  return [...judged.filter((d) => d !== recorded), recorded];
}

function widen(
  baseline: BaselineStatus | undefined,
  inUse: readonly DigestInUse[],
  acceptedSigners: ReadonlySet<string>,
  time: string,
): { status?: BaselineStatus; learned: string[] } {
  if (!baseline || acceptedSigners.size === 0)
    return { ...(baseline ? { status: baseline } : {}), learned: [] };
  const signers = [...(baseline.signers ?? [])];
  const learned: string[] = [];
  for (const { observation } of inUse) {
    if (observation.posture !== 'Signed' && observation.posture !== 'KeySigned') continue;
    for (const ref of observation.signers.map(signerRef)) {
      if (!acceptedSigners.has(signerText(ref)) || signers.some((s) => sameSigner(toRef(s), ref))) continue;
      signers.push(fromRef(ref, 'Accepted', time));
      learned.push(signerText(ref));
    }
  }
  return { status: learned.length > 0 ? { ...baseline, signers } : baseline, learned };
}

function planFindings(
  input: RepositoryInput,
  decisions: readonly { observation: Observation; decision: Decision }[],
): PlannedFinding[] {
  const workloadsOf = new Map(input.inUse.map((u) => [u.observation.digest, u.workloads]));
  const postureOf = new Map(input.inUse.map((u) => [u.observation.digest, u.observation.posture]));
  // Findings shown now, by name, with the digests that show them (oldest first).
  const ids = new Map<string, { kind: string; subject: string }>();
  const shown = new Map<string, { observation: Observation; decision: Decision }[]>();
  for (const d of decisions) {
    const f = d.decision.finding;
    if (!f) continue;
    const name = findingName(input.repository, f.kind, f.subject);
    ids.set(name, { kind: f.kind, subject: bounded(f.subject, MAX_SUBJECT) });
    shown.set(name, [...(shown.get(name) ?? []), d]);
  }
  const existing = new Map(input.findings.map((f) => [f.name, f]));
  for (const [name, f] of existing) ids.set(name, f);
  const planned: PlannedFinding[] = [];
  for (const [name, { kind, subject }] of ids) {
    const current = existing.get(name);
    const showing = shown.get(name) ?? [];
    // Until the inventory is complete, absence proves nothing: leave findings nobody shows alone.
    if (current && showing.length === 0 && !input.inventoryComplete) {
      planned.push({ name, kind, subject, status: current.status ?? {}, opened: false });
      continue;
    }
    // Keep the digest the finding already names while it shows it; otherwise the newest.
    const shownBy = showing.find((d) => d.observation.digest === current?.status?.digest) ?? showing.at(-1);
    const ownDigest = current?.status?.digest;
    const digests = new Set([...showing.map((d) => d.observation.digest), ...(ownDigest ? [ownDigest] : [])]);
    // A finding about a digest's posture whose cause cleared (a signature was added, a pinned key
    // arrived, the registry answered again) resolves although the digest still runs; one about a
    // signer change stays while the digest runs, so that a widened cold baseline still shows it.
    const now = ownDigest ? postureOf.get(ownDigest) : undefined;
    const cleared =
      POSTURE_KINDS.has(kind) && showing.length === 0 && now !== undefined && now !== 'Checking';
    const inUse = !cleared && [...digests].some((d) => workloadsOf.has(d));
    const status = nextFindingStatus(
      current?.status,
      {
        ...(shownBy?.decision.finding
          ? {
              detected: {
                finding: shownBy.decision.finding,
                digest: shownBy.observation.digest,
                posture: shownBy.observation.posture,
              },
            }
          : {}),
        inUse,
        workloads: [...digests].flatMap((d) => workloadsOf.get(d) ?? []),
        ...(current?.acceptReason !== undefined ? { acceptReason: current.acceptReason } : {}),
      },
      input.now,
      input.policy.heartbeatMs,
    );
    const wasOpen = current !== undefined && current.status?.phase !== 'Resolved';
    planned.push({ name, kind, subject, status, opened: !wasOpen && status.phase === 'Open' });
  }
  return planned;
}
