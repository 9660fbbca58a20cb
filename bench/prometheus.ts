// The operator's /metrics, read as numbers: the Prometheus text format parsed into samples, and sums
// over the samples of one metric whose labels pass a filter.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of `name`'s samples whose labels pass `where` (all of them without). */
export function sum(
  samples: readonly Sample[],
  name: string,
  where: (labels: Record<string, string>) => boolean = () => true,
): number {
  return samples.filter((s) => s.name === name && where(s.labels)).reduce((a, s) => a + s.value, 0);
}

export const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete']);

/** API writes by `verb resource` (lease renewals apart: they are the leader's heartbeat, not work). */
export function apiWrites(samples: readonly Sample[]): Map<string, number> {
  const writes = new Map<string, number>();
  for (const s of samples)
    if (
      s.name === 'signwarden_kube_api_requests_total' &&
      WRITE_VERBS.has(s.labels.verb ?? '') &&
      s.labels.resource !== 'leases'
    )
      writes.set(`${s.labels.verb} ${s.labels.resource}`, s.value);
  return writes;
}

/** What grew between two readings of counters keyed alike (keys that did not grow left out). */
export function growth(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta !== 0) out[key] = delta;
  }
  return out;
}
