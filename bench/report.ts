// The benchmark's results: the JSON written to .cache/bench/ and the Markdown tables printed (the
// same tables docs/performance.md keeps a copy of).
import type { CosignComparison } from './cosign-compare.ts';
import type { Kind, Maker } from './plan.ts';
import type { PhaseResult, SweepResult } from './sweep.ts';
import type { Machine } from './common.ts';

/** A figure against its goal; a miss is reported, not a failure of the bench. */
export interface Target {
  figure: string;
  value: number | string;
  target: string;
  pass: boolean;
}

/** The targets as the first table of every bench's report. */
export const targetsTable = (targets: readonly Target[]): string =>
  table(
    ['figure', 'value', 'target', ''],
    targets.map((t) => [t.figure, t.value, t.target, t.pass ? 'PASS' : 'MISS']),
  );

export interface BenchResult {
  date: string;
  git: { commit: string; dirty: boolean };
  machine: Machine & {
    /** NODE_OPTIONS the sweep ran with (an --import preload marks an experiment), if any. */
    nodeOptions: string;
  };
  versions: { cosign: string; registry: string };
  population: {
    digests: number;
    repositories: number;
    seconds: number;
    byKind: Partial<Record<Kind, number>>;
    byMaker: Partial<Record<Maker, number>>;
    cosignSample: number;
  };
  sweep: SweepResult;
  cosign: CosignComparison;
  ratios: { name: string; unit: string; signwarden: number; cosign: number; advantage: number }[];
  targets: Target[];
  /** Every judgement matched what was published and cosign verified every sampled image. */
  correct: boolean;
  totalSeconds: number;
}

export function targetsOf(sweep: SweepResult): Target[] {
  const phase = (name: string): PhaseResult => {
    const found = sweep.phases.find((p) => p.name === name);
    if (!found) throw new Error(`no phase ${name}`);
    return found;
  };
  const cold = phase('cold');
  const warm = phase('warm re-sweep');
  return [
    {
      figure: 'cold: digests/s',
      value: cold.digestsPerSecond,
      target: '≥ 300',
      pass: cold.digestsPerSecond >= 300,
    },
    {
      figure: 'cold: registry requests per digest',
      value: cold.requestsPerDigest,
      target: '≤ 3',
      pass: cold.requestsPerDigest <= 3,
    },
    { figure: 're-sweep: registry requests', value: warm.requests, target: '0', pass: warm.requests === 0 },
  ];
}

/**
 * What the cold sweep's CPU per digest allows, whatever else ran on the machine: the measured
 * digests/s depends on the load, the CPU time each digest cost the two processes much less.
 */
function cpuCeiling(r: BenchResult): string | undefined {
  const cold = r.sweep.phases.find((p) => p.name === 'cold');
  if (!cold || cold.cpuSeconds.registry === null) return undefined;
  const registry = (cold.cpuSeconds.registry * 1000) / cold.digests;
  const both = cold.cpuMsPerDigest + registry;
  const rate = (ms: number): number => Math.round(1000 / ms);
  return (
    `CPU per cold digest: signwarden ${cold.cpuMsPerDigest} ms, the registry ${registry.toFixed(2)} ms. ` +
    `On ${r.machine.cpus} cores running nothing else that is at most ${rate(both / r.machine.cpus)} digests/s; ` +
    `signwarden's one event loop alone would allow ${rate(cold.cpuMsPerDigest)} (estimates, not measured).`
  );
}

const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
export const table = (head: string[], rows: (string | number)[][]): string =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

export function markdown(r: BenchResult): string {
  const out: string[] = [];
  const { machine: m } = r;
  out.push(
    `${r.date}, commit ${r.git.commit}${r.git.dirty ? ' (with uncommitted changes)' : ''}; ${m.cpus} × ${m.cpuModel}, ` +
      `${m.memoryGiB} GiB; Node ${m.node}; registry ${r.versions.registry}; cosign ${r.versions.cosign}. ` +
      `${r.population.digests} digests in ${r.population.repositories} repositories. ` +
      `Load average ${m.loadAverage.start} at the start, ${m.loadAverage.end} at the end` +
      (Math.max(m.loadAverage.start, m.loadAverage.end) > m.cpus
        ? ' (**more than the CPUs: other work shared the machine, throughput figures are low**).'
        : '.') +
      (m.nodeOptions
        ? ` NODE_OPTIONS: \`${m.nodeOptions}\` (an experiment, not the code as committed).`
        : ''),
  );
  out.push('');
  out.push(targetsTable(r.targets));
  out.push('');
  const ceiling = cpuCeiling(r);
  if (ceiling) out.push(ceiling, '');
  out.push(
    table(
      [
        'sweep',
        'digests',
        'concurrency',
        'digests/s',
        'requests/digest',
        'p50 ms',
        'p95 ms',
        'CPU ms/digest',
        'CPU s signwarden',
        'CPU s registry',
        'event loop busy',
        'RSS peak MiB',
      ],
      r.sweep.phases.map((p) => [
        p.name,
        p.digests,
        p.concurrency,
        p.digestsPerSecond,
        p.requestsPerDigest,
        p.latencyMs.p50,
        p.latencyMs.p95,
        p.cpuMsPerDigest,
        p.cpuSeconds.signwarden,
        p.cpuSeconds.registry ?? '-',
        `${Math.round(p.eventLoopUtilization * 100)} %`,
        p.rssPeakMiB,
      ]),
    ),
  );
  out.push('');
  const mem = r.sweep.memoryAfterCold;
  out.push(
    `Peak RSS of the sweep process (maxRSS over cold, re-sweep and re-judge): ${r.sweep.maxRssMiB} MiB; ` +
      `${r.sweep.rssAtStartMiB} MiB before judging anything. After the cold sweep: RSS ${mem.rss} MiB, ` +
      `V8 heap ${mem.heapUsed} MiB used of ${mem.heapTotal} MiB, external ${mem.external} MiB.`,
  );
  out.push('');
  const cold = r.sweep.phases.find((p) => p.name === 'cold');
  if (cold) {
    out.push(
      table(
        ['cold sweep: request', 'count', 'per digest'],
        Object.entries(cold.requestKinds).map(([k, n]) => [
          k,
          n,
          Math.round((n / cold.digests) * 1000) / 1000,
        ]),
      ),
    );
    out.push('');
    const postures = Object.entries(cold.postures).filter(([, n]) => n > 0);
    out.push(
      `Postures (cold): ${postures.map(([p, n]) => `${p} ${n}`).join(', ')}; mismatches: ${cold.mismatches}.`,
    );
    out.push('');
  }
  out.push(
    table(
      ['kind (replayed, one at a time)', 'digests', 'requests/digest', 'CPU ms/digest'],
      r.sweep.byKind.map((k) => [k.kind, k.digests, k.requestsPerDigest, k.cpuMsPerDigest]),
    ),
  );
  out.push('');
  out.push(
    table(
      [
        'cosign verify',
        'images',
        'seconds',
        'digests/s',
        'p50 ms',
        'p95 ms',
        'CPU ms/image cosign',
        'CPU ms/image registry',
        'failures',
      ],
      r.cosign.runs.map((c) => [
        c.name,
        c.images,
        c.seconds,
        c.digestsPerSecond,
        c.latencyMs.p50,
        c.latencyMs.p95,
        c.cpuMsPerImage.cosign ?? '-',
        c.cpuMsPerImage.registry ?? '-',
        c.failures,
      ]),
    ),
  );
  out.push('');
  out.push(
    table(
      ['signwarden vs cosign verify', 'unit', 'signwarden', 'cosign', 'signwarden better by'],
      r.ratios.map((x) => [x.name, x.unit, x.signwarden, x.cosign, `${x.advantage} ×`]),
    ),
  );
  for (const p of r.sweep.profiles) {
    out.push('');
    out.push(
      table(
        [`CPU profile: ${p.phase} (${p.totalMs} ms sampled)`, 'ms', 'share'],
        p.categories.map((c) => [c.category, c.ms, `${Math.round(c.share * 1000) / 10} %`]),
      ),
    );
    out.push('');
    out.push(
      table(
        ['nearest signwarden function on the stack', 'ms', 'share'],
        p.signwarden.slice(0, 8).map((c) => [c.fn, c.ms, `${Math.round(c.share * 1000) / 10} %`]),
      ),
    );
  }
  return out.join('\n');
}
