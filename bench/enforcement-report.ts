// The enforcement bench's results: the JSON written to .cache/bench/enforcement-*.json and the tables
// printed (docs/performance.md keeps a copy of them).
import type { Machine } from './common.ts';
import { percentile } from './plan.ts';
import type { Target } from './report.ts';
import { table, targetsTable } from './report.ts';

/** GOAL of issue 5: Pod creation with enforcement at most 10 % slower than without. */
export const RATIO_GOAL = 1.1;

export interface Latency {
  samples: number;
  p50: number;
  p95: number;
  mean: number;
  max: number;
}

/** One kind of namespace Pods were created in, in turn with the others. */
export interface Arm {
  name: string;
  namespace: string;
  /** The namespace's signwarden.dev/enforcement label, if any. */
  label: string | null;
  /** Digests in its parameters (none when unenforced). */
  digests: number | null;
  /**
   * A floor arm: the minimal policy its namespace has instead of signwarden's (what it reads), to
   * measure what any ValidatingAdmissionPolicy of this shape costs. Not held to the goal.
   */
  floor?: string;
  /** How the timed Pod spells its images: as the parameters list them, or with a tag too. */
  spelling: string;
  latencyMs: Latency;
  /** Measured creations answered 201 (every one must be). */
  admitted: number;
}

/** One namespace's EnforcementParameters: generated, created, read back. */
export interface ParametersFigures {
  namespace: string;
  digests: number;
  repositories: number;
  tags: number;
  /** generateParameters, median of several runs. */
  generateMs: number;
  /** What the object lists (spec.counts): guarded repositories, digest and tag verdicts. */
  listed: { repositories: number; digests: number; tags: number };
  dropped: number;
  overflow: boolean;
  /** Admitted digests of the input, and how many of them the parameters list. */
  admittedDigests: number;
  admittedListed: number;
  /** JSON bytes of the generated spec, and what it would take without the size bound. */
  specBytes: number;
  unboundedSpecBytes: number;
  /** Created as the operator's service account: HTTP status and time. */
  create: { status: number; ms: number; error?: string };
  /** The object as the API server returns it, managedFields included (etcd stores custom resources as JSON). */
  storedJsonBytes: number | null;
  managedFieldsJsonBytes: number | null;
}

export interface Check {
  what: string;
  expected: string;
  got: string;
  pass: boolean;
}

export interface EnforcementResult {
  date: string;
  git: { commit: string; dirty: boolean };
  machine: Machine;
  versions: { kubernetes: string };
  settings: { pods: number; warmup: number };
  setupSeconds: number;
  /** Milliseconds from the bindings' creation until a deny namespace denied as the policy says. */
  policyEffectiveMs: number;
  parameters: ParametersFigures[];
  arms: Arm[];
  /** enforced / unenforced, per enforced arm (the floor arms included). */
  ratios: { arm: string; p50: number; mean: number }[];
  /** Median over rounds of (enforced − unenforced) of the same round, ms. */
  pairedDifferenceMs: { arm: string; median: number }[];
  /** Median over rounds of (signwarden's arm − floor-match) of the same round, ms: what the policy adds to the floor. */
  aboveFloorMs: { arm: string; median: number }[];
  checks: Check[];
  targets: Target[];
  correct: boolean;
  problems: string[];
  totalSeconds: number;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function latency(values: readonly number[]): Latency {
  const mean = values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
  return {
    samples: values.length,
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    mean: round(mean),
    max: round(percentile(values, 100)),
  };
}

/** The floor arm with parameters, the figure the goal is read against. */
export const FLOOR_ARM = 'floor-match';

export function targetsOf(r: Pick<EnforcementResult, 'ratios' | 'parameters' | 'arms'>): Target[] {
  const floors = new Set(r.arms.filter((a) => a.floor !== undefined).map((a) => a.name));
  return [
    ...r.ratios
      .filter((x) => !floors.has(x.arm))
      .flatMap((x) => [
        {
          figure: `Pod create, ${x.arm} / unenforced, p50`,
          value: x.p50,
          target: `≤ ${RATIO_GOAL}`,
          pass: x.p50 <= RATIO_GOAL,
        },
        {
          figure: `Pod create, ${x.arm} / unenforced, mean`,
          value: x.mean,
          target: `≤ ${RATIO_GOAL}`,
          pass: x.mean <= RATIO_GOAL,
        },
      ]),
    ...r.parameters.map((p) => ({
      figure: `parameters of ${p.digests.toLocaleString('en')} digests: every admitted digest listed`,
      value: p.overflow ? `no: ${p.admittedListed} of ${p.admittedDigests}, overflow` : 'yes',
      target: 'yes',
      pass: !p.overflow && p.create.status === 201,
    })),
  ];
}

/** The floor arms' ratios, and what signwarden's policy adds to the floor (empty without floor arms). */
function floorLines(r: EnforcementResult): string[] {
  const ratio = (arm: string) => r.ratios.find((x) => x.arm === arm);
  const floor = ratio(FLOOR_ARM);
  if (floor === undefined) return [];
  const others = r.arms.filter((a) => a.floor !== undefined && a.name !== FLOOR_ARM);
  return [
    `a policy whose match condition reads its parameters and the images: ratio ${floor.p50} ` +
      `(p50; mean ${floor.mean}) (the floor of any policy that looks at a Pod's images, on this machine)`,
    ...others.map((a) => {
      const x = ratio(a.name);
      return `${a.name} (${a.floor ?? ''}): ratio ${x?.p50} (p50; mean ${x?.mean})`;
    }),
    `Above the floor (median within a round, ${FLOOR_ARM} subtracted): ` +
      r.aboveFloorMs.map((d) => `${d.arm} ${d.median} ms`).join(', '),
  ]
    .map((line) => `- ${line}`)
    .concat('');
}

const kib = (bytes: number | null): string => (bytes === null ? '-' : `${round(bytes / 1024, 1)} KiB`);

export function markdown(r: EnforcementResult): string {
  const m = r.machine;
  const out: string[] = [
    `${r.date}, commit ${r.git.commit}${r.git.dirty ? ' (with uncommitted changes)' : ''}; ${m.cpus} × ${m.cpuModel}, ` +
      `${m.memoryGiB} GiB; Node ${m.node}; Kubernetes ${r.versions.kubernetes}. ` +
      `Load average ${m.loadAverage.start} before the bench started, ${m.loadAverage.end} at the end` +
      (m.loadAverage.start > m.cpus
        ? ' (**more than the CPUs before the bench started: other work shared the machine**).'
        : '.'),
    '',
    targetsTable(r.targets),
    '',
    ...floorLines(r),
    table(
      [
        'Pod create (POST → 201), ms',
        'namespace',
        'images',
        'samples',
        'p50',
        'p95',
        'mean',
        'max',
        'admitted',
      ],
      r.arms.map((a) => [
        a.name,
        a.floor ??
          (a.label === null ? `unlabelled` : `${a.label}, ${a.digests?.toLocaleString('en')} digests`),
        a.spelling,
        a.latencyMs.samples,
        a.latencyMs.p50,
        a.latencyMs.p95,
        a.latencyMs.mean,
        a.latencyMs.max,
        a.admitted,
      ]),
    ),
    '',
    `${r.settings.pods} Pods per namespace after ${r.settings.warmup} rounds of warm-up, created one at a time, ` +
      `the namespaces in turn (the order rotated every round). Each Pod: two containers and an init ` +
      `container, all by digest (in guarded repositories, but for the arm that says otherwise). ` +
      `Median difference from unenforced within a round: ` +
      r.pairedDifferenceMs.map((d) => `${d.arm} ${d.median} ms`).join(', ') +
      `. The policy denied as expected ${r.policyEffectiveMs} ms after the bindings were created.`,
    '',
    table(
      [
        'parameters',
        'repositories',
        'tags',
        'generate ms',
        'listed R/D/T',
        'dropped',
        'overflow',
        'spec (JSON)',
        'unbounded',
        'stored (JSON)',
        'created',
      ],
      r.parameters.map((p) => [
        `${p.digests.toLocaleString('en')} digests`,
        p.repositories,
        p.tags,
        p.generateMs,
        `${p.listed.repositories}/${p.listed.digests}/${p.listed.tags}`,
        p.dropped,
        p.overflow ? `yes: ${p.admittedListed} of ${p.admittedDigests} admitted digests listed` : 'no',
        kib(p.specBytes),
        kib(p.unboundedSpecBytes),
        `${kib(p.storedJsonBytes)} (managedFields ${kib(p.managedFieldsJsonBytes)})`,
        p.create.status === 201 ? `201 in ${p.create.ms} ms` : `${p.create.status}: ${p.create.error ?? ''}`,
      ]),
    ),
    '',
    table(
      ['check', 'expected', 'got', ''],
      r.checks.map((c) => [c.what, c.expected, c.got, c.pass ? 'ok' : 'FAILED']),
    ),
  ];
  return out.join('\n');
}
