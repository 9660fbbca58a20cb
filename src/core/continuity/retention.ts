// Bounds on what the continuity layer keeps in etcd. Resolved findings expire after a TTL and, over
// the total cap, the oldest resolved go first (open and accepted findings are never dropped to make
// room). Over the baseline cap, cold baselines of repositories not in use go, least recently seen
// first: an established baseline is never evicted, and neither is one in use (it would be learned
// again at once, evicting the next: churn instead of a bound).

export interface RetainedFinding {
  name: string;
  phase?: string;
  resolvedTime?: string;
}

export interface RetainedBaseline {
  name: string;
  established: boolean;
  inUse: boolean;
  /** Latest of its signers' lastSeen and its last observation. */
  lastSeen?: string;
}

/** Findings to delete so that expired ones go and `incoming` new ones fit under `max`. */
export function findingsToDelete(
  findings: readonly RetainedFinding[],
  now: Date,
  ttlMs: number,
  max: number,
  incoming = 0,
): { names: string[]; nextExpiryMs?: number } {
  const resolved = findings
    .filter((f) => f.phase === 'Resolved')
    .map((f) => ({ name: f.name, at: Date.parse(f.resolvedTime ?? '') || 0 }))
    .sort((a, b) => a.at - b.at || a.name.localeCompare(b.name));
  const names: string[] = [];
  let nextExpiryMs: number | undefined;
  let count = findings.length + incoming;
  for (const { name, at } of resolved) {
    const expiresInMs = at + ttlMs - now.getTime();
    if (expiresInMs <= 0 || count > max) {
      names.push(name);
      count--;
    } else {
      nextExpiryMs = Math.min(nextExpiryMs ?? Infinity, expiresInMs);
    }
  }
  return nextExpiryMs === undefined ? { names } : { names, nextExpiryMs };
}

/** Baselines to evict so that `incoming` new ones fit under `max` (fewer if not enough may go). */
export function baselinesToEvict(
  baselines: readonly RetainedBaseline[],
  max: number,
  incoming: number,
): string[] {
  const excess = baselines.length + incoming - max;
  if (excess <= 0) return [];
  return baselines
    .filter((b) => !b.established && !b.inUse)
    .map((b) => ({ name: b.name, at: Date.parse(b.lastSeen ?? '') || 0 }))
    .sort((a, b) => a.at - b.at || a.name.localeCompare(b.name))
    .slice(0, excess)
    .map((b) => b.name);
}
