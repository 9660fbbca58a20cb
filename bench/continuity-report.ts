// The continuity bench's results: the JSON written to .cache/bench/continuity-*.json and the tables
// printed (docs/performance.md keeps a copy of them).
import { percentile } from './plan.ts';
import type { Target } from './report.ts';
import { table, targetsTable } from './report.ts';
import type { Machine } from './common.ts';

/** One unsigned digest deployed into an established repository, timed from the Deployment's patch. */
export interface Detection {
  repository: string;
  digest: string;
  /** Milliseconds after the patch was sent: the API server acknowledged it. */
  patchedMs: number;
  /** The operator logged the digest `observed` (judged; its own clock, the same machine's). */
  observedMs: number | null;
  /** A watch on DriftFindings delivered the new finding (ADDED, spec only). */
  appearedMs: number | null;
  /** The finding has its status (phase, severity): what `kubectl get driftfindings` then shows. */
  visibleMs: number | null;
  kind: string | null;
  severity: string | null;
  phase: string | null;
  /** Why this detection does not count (timed out, wrong kind or severity). */
  problem?: string;
}

/** What one steady-state pass cost: everything re-observed and re-reconciled, nothing changed. */
export interface Pass {
  pass: number;
  /** Workloads (Deployments, ReplicaSets, Pods) given a new annotation to re-observe them. */
  workloadsTouched: number;
  seconds: number;
  reconciles: Record<string, number>;
  /** Registry requests: digests judged again because --posture-ttl had expired. */
  registryRequests: number;
  /** API writes (verb resource) apart from the Lease, which the table counts separately. */
  writes: Record<string, number>;
  leaseWrites: number;
}

export interface ContinuityResult {
  date: string;
  git: { commit: string; dirty: boolean };
  machine: Machine;
  versions: { kubernetes: string; registry: string };
  settings: {
    repositories: number;
    detections: number;
    passes: number;
    baselines: number;
    operatorFlags: string[];
  };
  /** Seconds spent before the measurements: control plane, registry, test Sigstore, images. */
  setupSeconds: number;
  /** The first operator start, on a cluster with no baselines, the CRDs just installed. */
  firstStart: {
    readyMs: number | null;
    leaderMs: number | null;
    /** Informers whose first list failed (and were restarted with backoff). */
    informerRestarts: Record<string, number>;
  };
  detection: {
    runs: Detection[];
    visibleMs: { p50: number; p95: number; max: number };
    appearedMs: { p50: number; p95: number; max: number };
    /** Medians of the stages: patch → judged (logged `observed`) → finding created → its status written. */
    stagesMs: { judged: number; created: number; status: number };
  };
  steadyState: {
    /** Baselines and findings in place when the passes ran. */
    baselines: number;
    findings: number;
    workloads: number;
    settleSeconds: number;
    idle: { seconds: number; writes: Record<string, number>; leaseWrites: number; reconciles: number };
    passes: Pass[];
    writesPerPass: number;
  };
  restart: {
    baselines: number;
    findings: number;
    workloads: number;
    /** Writing the baselines (server-side apply of object and status), not measured against a target. */
    create: { seconds: number; perSecond: number; concurrency: number };
    /** One LIST of every baseline by the bench, for scale: what the operator's informer also reads. */
    list: { ms: number; MiB: number };
    processToHttpMs: number | null;
    processToReadyMs: number | null;
    processToLeaderMs: number | null;
    /** Every repository reconciled once and the queues empty; null if not within the time allowed. */
    processToFullReconcileMs: number | null;
    fullReconcile: {
      expected: number;
      done: number;
      waitedSeconds: number;
      /** When /metrics last answered, ms after process start: `done` is as of then. */
      lastMetricsMs: number | null;
      continuityReconcilesPerSecond: number;
      meanReconcileMs: number | null;
    };
    /** When each informer logged `informer synced`, ms after process start. */
    informersSyncedMs: Record<string, number>;
    /** API writes (apart from the Lease) from process start until the full reconcile or the wait's end. */
    writes: Record<string, number>;
    /** When the operator logged `stopped leading` (it could not renew the Lease in time), if it did. */
    lostLeadershipMs: number | null;
    /** /healthz asked every 500 ms from the process start to the end: answer time, ms. */
    healthz: { probes: number; p50: number; max: number; over1s: number; unansweredMs: number };
    /** What those writes changed, event by event (a watch): `Kind field` → changes. */
    changed: Record<string, number>;
    /** What differs at the end from before the restart: `Kind field` → objects. */
    netChanged: Record<string, number>;
    rssMiB: number | null;
    cpuSecondsAtReady: number | null;
    cpuSecondsAtEnd: number | null;
  };
  targets: Target[];
  correct: boolean;
  problems: string[];
  totalSeconds: number;
}

const round = (n: number, digits = 0): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function summary(values: (number | null)[]): { p50: number; p95: number; max: number } {
  const present = values.filter((v) => v !== null);
  return {
    p50: round(percentile(present, 50)),
    p95: round(percentile(present, 95)),
    max: round(percentile(present, 100)),
  };
}

export function targetsOf(r: Omit<ContinuityResult, 'targets'>): Target[] {
  const ready = r.restart.processToReadyMs;
  return [
    {
      figure: 'detection: unsigned digest → DriftFinding, p50 ms',
      value: r.detection.visibleMs.p50,
      target: '< 2000',
      pass: r.detection.runs.every((d) => !d.problem) && r.detection.visibleMs.p50 < 2000,
    },
    {
      figure: 'steady state: API writes per pass',
      value: r.steadyState.writesPerPass,
      target: '0',
      pass: r.steadyState.writesPerPass === 0,
    },
    {
      figure: `restart with ${r.restart.baselines.toLocaleString('en')} baselines: process → /readyz 200, ms`,
      value: ready ?? Number.NaN,
      target: '< 5000',
      pass: ready !== null && ready < 5000,
    },
  ];
}

const ms = (v: number | null): string | number => (v === null ? '-' : round(v));
const writesText = (w: Record<string, number>): string =>
  Object.keys(w).length === 0
    ? '0'
    : Object.entries(w)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');

export function markdown(r: ContinuityResult): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `${r.date}, commit ${r.git.commit}${r.git.dirty ? ' (with uncommitted changes)' : ''}; ${m.cpus} × ${m.cpuModel}, ` +
      `${m.memoryGiB} GiB; Node ${m.node}; Kubernetes ${r.versions.kubernetes}; registry ${r.versions.registry}. ` +
      // The bench's own processes (control plane, registry, operator) load the machine by themselves:
      // only the load before they started says whether other work shared it.
      `Load average ${m.loadAverage.start} before the bench started, ${m.loadAverage.end} at the end` +
      (m.loadAverage.start > m.cpus
        ? ' (**more than the CPUs before the bench started: other work shared the machine**).'
        : '.') +
      ` Operator flags: \`${r.settings.operatorFlags.join(' ')}\`.`,
  );
  out.push('');
  out.push(targetsTable(r.targets));
  out.push('');

  const d = r.detection;
  out.push(
    table(
      ['detection (ms after the Deployment patch)', 'p50', 'p95', 'max'],
      [
        ['DriftFinding visible with its status', d.visibleMs.p50, d.visibleMs.p95, d.visibleMs.max],
        ['DriftFinding first seen (spec only)', d.appearedMs.p50, d.appearedMs.p95, d.appearedMs.max],
      ],
    ),
  );
  out.push('');
  out.push(
    `${d.runs.length} unsigned digests, each deployed by switching the image of a Deployment in an established ` +
      `repository (${r.settings.repositories} repositories, in turn). Median stages: judged (logged \`observed\`) ` +
      `${d.stagesMs.judged} ms after the patch; the finding created (as a watch delivered it) ` +
      `${d.stagesMs.created} ms later; its status ${d.stagesMs.status} ms after that. ` +
      `Kinds and severities: ${[...new Set(d.runs.map((x) => `${x.kind ?? '-'}/${x.severity ?? '-'}`))].join(', ')}.`,
  );
  out.push('');

  const s = r.steadyState;
  out.push(
    table(
      [
        'steady state',
        'seconds',
        'workloads touched',
        'inventory reconciles',
        'continuity reconciles',
        'registry requests',
        'API writes',
        'Lease writes',
      ],
      [
        [
          `idle (no stimulus)`,
          s.idle.seconds,
          0,
          '-',
          s.idle.reconciles,
          '-',
          writesText(s.idle.writes),
          s.idle.leaseWrites,
        ],
        ...s.passes.map((p) => [
          `pass ${p.pass}`,
          p.seconds,
          p.workloadsTouched,
          p.reconciles.inventory ?? 0,
          p.reconciles.continuity ?? 0,
          p.registryRequests,
          writesText(p.writes),
          p.leaseWrites,
        ]),
      ],
    ),
  );
  out.push('');
  out.push(
    `In place: ${s.baselines} baselines (established), ${s.findings} findings, ${s.workloads} workloads; ` +
      `settled ${s.settleSeconds} s before the passes. A pass: --posture-ttl expired, then every workload ` +
      `annotated (metadata only) and the SignaturePin annotated, which re-reconciles every repository.`,
  );
  out.push('');

  const x = r.restart;
  const f = x.fullReconcile;
  out.push(
    table(
      [`restart with ${x.baselines.toLocaleString('en')} baselines (ms after process start)`, 'value'],
      [
        ['serving HTTP', ms(x.processToHttpMs)],
        ['/readyz 200 (informers synced)', ms(x.processToReadyMs)],
        ['leader', ms(x.processToLeaderMs)],
        [
          `first full reconcile (${f.expected} repositories, continuity and inventory queues empty)`,
          x.processToFullReconcileMs === null
            ? `**not within ${f.waitedSeconds} s** (` +
              (f.lastMetricsMs === null
                ? '/metrics not answered once after leading)'
                : `${f.done} reconciles when /metrics last answered, at ${ms(f.lastMetricsMs)} ms)`)
            : ms(x.processToFullReconcileMs),
        ],
        ...(x.lostLeadershipMs !== null
          ? [['**lost the Lease** (renewal not in time) and exited', ms(x.lostLeadershipMs)]]
          : []),
        ...Object.entries(x.informersSyncedMs).map(([k, v]) => [`informer synced: ${k}`, ms(v)]),
      ],
    ),
  );
  out.push('');
  out.push(
    `The same operator on the empty cluster (the first start): /readyz 200 after ${ms(r.firstStart.readyMs)} ms, ` +
      `leader after ${ms(r.firstStart.leaderMs)} ms` +
      (Object.keys(r.firstStart.informerRestarts).length > 0
        ? ` (first lists failed and were retried: ${writesText(r.firstStart.informerRestarts)})`
        : '') +
      '. ' +
      `Baselines written in ${x.create.seconds} s (${x.create.perSecond}/s, ${x.create.concurrency} at once, ` +
      `server-side apply of object and status); one LIST of all of them ${x.list.ms} ms, ${x.list.MiB} MiB. ` +
      (f.lastMetricsMs !== null
        ? `Continuity reconciles ran at ${f.continuityReconcilesPerSecond}/s` +
          (f.meanReconcileMs !== null ? ` (${f.meanReconcileMs} ms each on average, 4 workers)` : '') +
          `. API writes during the restart: ${writesText(x.writes)}`
        : 'API writes during the restart: unknown (no /metrics answer)') +
      `; changes a watch saw meanwhile: ${Object.keys(x.changed).length > 0 ? writesText(x.changed) : 'none'}` +
      `; what differs at the end from before: ${Object.keys(x.netChanged).length > 0 ? writesText(x.netChanged) : 'nothing'}` +
      `. /healthz, asked every 500 ms meanwhile, answered in ${x.healthz.p50} ms (median), ${x.healthz.max} ms at ` +
      `worst, ${x.healthz.over1s} of ${x.healthz.probes} times over 1 s (a liveness probe's default timeout)` +
      (x.healthz.unansweredMs > 0 ? `; the last one unanswered after ${x.healthz.unansweredMs} ms` : '') +
      `. Operator RSS ${x.rssMiB ?? '-'} MiB; CPU ` +
      `${x.cpuSecondsAtReady ?? '-'} s when ready, ${x.cpuSecondsAtEnd ?? '-'} s at the end.`,
  );
  if (r.problems.length > 0) {
    out.push('');
    out.push(`Problems: ${r.problems.join('; ')}`);
  }
  return out.join('\n');
}
