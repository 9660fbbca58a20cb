// Fitting the entries of one namespace's parameters within the size bound, by priority: what
// generateParameters (parameters.ts) keeps and drops, as the JSON bytes each entry adds.
import {
  MAX_ADMITTED,
  MAX_REPOSITORIES,
  MAX_VERDICTS_PER_REPOSITORY,
} from '../../api/enforcement-parameters.ts';

/** One entry of the parameters, with its priority under the size bound (lower is kept first). */
export interface Entry {
  repository: string;
  /** `admitted`: the top-level map keyed `<repository>@<digest>`; the others, the repository's. */
  field: 'guardedBy' | 'admitted' | 'digests' | 'tags';
  key: string;
  value: string;
  signers?: string;
  priority: number;
}

/** A repository's entries as placed. */
export interface PlacedRepository {
  guardedBy?: string;
  signers?: string;
  digests?: Map<string, string>;
  tags?: Map<string, string>;
  /** Its digests listed in the top-level `admitted` map. */
  admitted: number;
}

export interface Placement {
  repositories: Map<string, PlacedRepository>;
  admitted: Map<string, string>;
  /** Entries left out. */
  dropped: number;
  /** The lowest priority of an entry left out; Infinity when none was. */
  firstDropped: number;
}

/** JSON bytes of a string, quotes included. */
const json = (text: string): number => JSON.stringify(text).length;

/**
 * Places `entries` (in input order within a priority) in `maxBytes` of JSON: each entry costs its
 * key, value, colon and comma, and the enclosing objects when first used. An admitted digest is
 * listed with its repository's guard (priority 0), else not at all.
 */
export function place(entries: readonly Entry[], maxBytes: number): Placement {
  const repositories = new Map<string, PlacedRepository>();
  const admitted = new Map<string, string>();
  let bytes = 0;
  let dropped = 0;
  let firstDropped = Number.POSITIVE_INFINITY;
  const ordered = entries
    .map((e, index) => ({ ...e, index }))
    .sort((a, b) => a.priority - b.priority || a.index - b.index);
  for (const e of ordered) {
    const repo = repositories.get(e.repository);
    const map = e.field === 'guardedBy' ? undefined : e.field === 'admitted' ? admitted : repo?.[e.field];
    let cost =
      e.field === 'guardedBy'
        ? `"guardedBy":,"signers":,`.length + json(e.value) + json(e.signers ?? '')
        : json(e.key) + json(e.value) + 2 + (map || e.field === 'admitted' ? 0 : json(e.field) + 4);
    if (!repo) cost += json(e.repository) + 4;
    const digests = (repo?.digests?.size ?? 0) + (repo?.admitted ?? 0);
    const full =
      (!repo && repositories.size >= MAX_REPOSITORIES) ||
      (e.field === 'tags' && (map?.size ?? 0) >= MAX_VERDICTS_PER_REPOSITORY) ||
      ((e.field === 'digests' || e.field === 'admitted') && digests >= MAX_VERDICTS_PER_REPOSITORY) ||
      (e.field === 'admitted' && (!repo || admitted.size >= MAX_ADMITTED));
    if (full || bytes + cost > maxBytes) {
      dropped++;
      firstDropped = Math.min(firstDropped, e.priority);
      continue;
    }
    bytes += cost;
    const target = repo ?? { admitted: 0 };
    if (!repo) repositories.set(e.repository, target);
    if (e.field === 'guardedBy') Object.assign(target, { guardedBy: e.value, signers: e.signers });
    else if (e.field === 'admitted') {
      admitted.set(e.key, e.value);
      target.admitted++;
    } else (target[e.field] ??= new Map()).set(e.key, e.value);
  }
  return { repositories, admitted, dropped, firstDropped };
}
