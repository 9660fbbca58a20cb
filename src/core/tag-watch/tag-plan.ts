// What the tag watcher records after one pass over a repository: each followed tag with the digest
// it names and that digest's resting posture. A failure never becomes a verdict: a tag that could
// not be resolved keeps what it named before; a tag whose digest could not be judged (Checking)
// keeps its record only if it still names the same digest, and otherwise has none until judged.
import type { Observation } from '../observation.ts';

export interface TagRecord {
  digest: string;
  observation: Observation;
}

/** How resolving (and judging) one tag went. */
export type TagOutcome =
  /** The tag names `digest`; its observation, unless judging it failed outright. */
  | { kind: 'Named'; digest: string; observation?: Observation }
  /** The registry says the tag does not exist (any more). */
  | { kind: 'Gone' }
  /** Unknown: the registry could not be asked or did not answer. */
  | { kind: 'Unknown'; reason: string };

export interface TagPlan {
  records: Map<string, TagRecord>;
  /** Tags recorded before and not now. */
  removed: string[];
  /** Tags not settled, with why: the pass should be retried. */
  pending: string[];
}

/**
 * The records after a pass that followed `selected`, given each tag's outcome (a tag without one
 * was not reached, e.g. after the registry started failing) and the records before.
 */
export function planTags(
  previous: ReadonlyMap<string, TagRecord>,
  selected: readonly string[],
  outcomes: ReadonlyMap<string, TagOutcome>,
): TagPlan {
  const records = new Map<string, TagRecord>();
  const pending: string[] = [];
  for (const tag of selected) {
    const before = previous.get(tag);
    const outcome = outcomes.get(tag) ?? { kind: 'Unknown', reason: 'not reached' };
    if (outcome.kind === 'Gone') continue;
    if (outcome.kind === 'Unknown') {
      if (before) records.set(tag, before);
      pending.push(`${tag}: ${outcome.reason}`);
      continue;
    }
    const { digest, observation } = outcome;
    if (observation && observation.posture !== 'Checking') {
      records.set(tag, { digest, observation });
      continue;
    }
    if (before?.digest === digest) records.set(tag, before);
    pending.push(`${tag}: ${observation?.checkingReason ?? 'not judged'}`);
  }
  const removed = [...previous.keys()].filter((tag) => !records.has(tag));
  return { records, removed, pending };
}
