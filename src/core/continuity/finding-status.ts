// The next status of a DriftFinding from its current status and what the repository's digests show
// now. Pure. Repeating the same inputs yields the same status (and so no write): lastDetected moves
// at most once per heartbeat, the workload list is sorted and bounded, and an acceptance is
// recorded once and kept.
import type { Posture } from '../../api/postures.ts';
import type { Finding, Severity } from './decide.ts';
import { stamp } from './baseline-status.ts';

export type FindingPhase = 'Open' | 'Accepted' | 'Resolved';

export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface FindingStatus {
  phase?: FindingPhase;
  severity?: Severity;
  digest?: string;
  expected?: string[];
  expectedSource?: 'Baseline' | 'Pin';
  observed?: string;
  observedPosture?: Posture;
  firstDetected?: string;
  lastDetected?: string;
  affectedWorkloads?: WorkloadRef[];
  affectedWorkloadCount?: number;
  acceptance?: { reason: string; time: string };
  resolvedTime?: string;
}

export interface FindingUpdate {
  /** The drift as a digest in use shows it now; undefined when none does. */
  detected?: { finding: Finding; digest: string; posture: Posture };
  /** Whether the finding's digest (or one showing it now) is still run or templated. */
  inUse: boolean;
  /** Every workload that runs or templates such a digest. */
  workloads: readonly WorkloadRef[];
  /** The reason in the signwarden.dev/accept annotation, if the finding carries one. */
  acceptReason?: string;
}

export const MAX_AFFECTED_WORKLOADS = 20;
const MAX_EXPECTED = 16;

/** `text`, cut to at most `max` characters with an ellipsis (untrusted text shown in bounded fields). */
export const bounded = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

const workloadKey = (w: WorkloadRef): string => `${w.kind}/${w.namespace}/${w.name}`;

export function nextFindingStatus(
  current: FindingStatus | undefined,
  update: FindingUpdate,
  now: Date,
  heartbeatMs: number,
): FindingStatus {
  const time = stamp(now);
  const { detected } = update;
  const acceptance =
    current?.acceptance ??
    (update.acceptReason !== undefined ? { reason: bounded(update.acceptReason, 1024), time } : undefined);
  const phase: FindingPhase = !update.inUse ? 'Resolved' : acceptance ? 'Accepted' : 'Open';
  const lastDetected =
    detected &&
    (current?.lastDetected === undefined || now.getTime() - Date.parse(current.lastDetected) >= heartbeatMs)
      ? time
      : current?.lastDetected;
  const workloads = update.inUse
    ? [...new Map(update.workloads.map((w) => [workloadKey(w), w])).entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([, w]) => w)
    : [];
  const finding = detected?.finding;
  return {
    phase,
    severity: finding?.severity ?? current?.severity,
    digest: detected?.digest ?? current?.digest,
    expected: finding
      ? finding.expected.slice(0, MAX_EXPECTED).map((e) => bounded(e, 1100))
      : current?.expected,
    expectedSource: finding?.expectedSource ?? current?.expectedSource,
    observed: finding ? bounded(finding.observed, 1100) : current?.observed,
    observedPosture: detected?.posture ?? current?.observedPosture,
    firstDetected: current?.firstDetected ?? time,
    lastDetected: lastDetected ?? time,
    affectedWorkloads: workloads.slice(0, MAX_AFFECTED_WORKLOADS),
    affectedWorkloadCount: workloads.length,
    acceptance,
    resolvedTime: phase === 'Resolved' ? (current?.resolvedTime ?? time) : undefined,
  };
}
