// The per-namespace enforcement parameters (DESIGN.md §5): the verdicts the operator publishes so
// that the admission policy, which cannot call a registry, can decide in CEL. One EnforcementParameters
// object (src/api/enforcement-parameters.ts) in each enforced namespace, written from the same
// decisions as the DriftFindings (decide.ts).
//
// Layout (docs/enforcement.md): `spec.admitted` maps `<repository>@<digest>` of each admitted digest
// of a guarded repository to `+` (verified) or `+accepted`, so that an image written that way costs
// admission one map read; `spec.repositories` maps each canonical repository key to
//   guardedBy  `signingbaseline/NAME` or `signaturepin/NAME`; absent when the repository is not
//              guarded (then only its digests known to violate are listed)
//   signers    the expected signers, for denial messages
//   digests    digest → `-<finding>` known to violate; and `+`, `+accepted` when the admitted digests
//              would not all fit in `spec.admitted`, where each costs its repository's key again
//   tags       tag → `+` resolved to an admitted digest, `-<finding>` to a violating one
// and `spec.overflow` says the verdicts did not fit: every repository counts as guarded. Every key is
// the exact text an image reference spells (checked here: `<repository>@<digest>` and
// `<repository>:<tag>` parse back to exactly that repository, digest and tag), so CEL looks a
// verdict up in O(1), and an image written in canonical form needs no canonicalization at all.
import { API_VERSION } from '../../api/group.ts';
import type { EnforcementParametersSpec } from '../../api/enforcement-parameters.ts';
import type { Decision } from '../continuity/decide.ts';
import { parseImageReference } from '../image-reference.ts';
import type { Entry } from './parameters-placement.ts';
import { place } from './parameters-placement.ts';

export const DEFAULT_PARAMETERS_NAME = 'signwarden-enforcement';
/**
 * Bytes of the spec (as JSON) kept under the 1 MiB the object is meant to stay within, leaving room
 * for metadata. The maps are atomic, so managedFields do not repeat the keys; etcd's request limit
 * (1.5 MiB) is then far away.
 */
export const MAX_SPEC_BYTES = 1_000_000;
/** Bound on the expected-signers text of one repository. */
export const MAX_EXPECTED_LENGTH = 512;

/** A digest of a guarded repository and the continuity decision about it (decide.ts). */
export interface DigestVerdict {
  digest: string;
  decision: Pick<Decision, 'admit' | 'finding'>;
  /** The DriftFinding object that reports it, if any (repository-plan.ts's findingName). */
  findingName?: string;
}

export interface GuardedRepository {
  /** Canonical repository key. */
  repository: string;
  /**
   * False for a repository with neither an established baseline nor a pin: only its digests known to
   * violate (Invalid) are published, and admission denies just those. Default true.
   */
  guarded?: boolean;
  /** What guards it, as `kubectl get` takes it: `signingbaseline/NAME` or `signaturepin/NAME`. */
  source: string;
  /** Expected signers, human-readable (untrusted text: sanitized and bounded here). */
  expected: readonly string[];
  digests: readonly DigestVerdict[];
  /** Tags last resolved in the registry, and the digest each named. */
  tags?: readonly { tag: string; digest: string }[];
}

export interface ParametersInput {
  namespace: string;
  /** Guarded repositories only: established baselines and pinned repositories. */
  repositories: readonly GuardedRepository[];
  name?: string;
  /** The size bound; MAX_SPEC_BYTES unless measuring what unbounded parameters would take. */
  maxBytes?: number;
}

export interface EnforcementParametersObject {
  apiVersion: typeof API_VERSION;
  kind: 'EnforcementParameters';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: EnforcementParametersSpec;
}

export interface ParametersResult {
  object: EnforcementParametersObject;
  /** Verdicts left out to stay within the bound; with `overflow` every repository is guarded. */
  dropped: number;
  overflow: boolean;
  /** JSON bytes of the spec. */
  bytes: number;
}

export const PARAMETERS_LABELS = {
  'app.kubernetes.io/managed-by': 'signwarden',
  'signwarden.dev/role': 'enforcement-parameters',
};

type Verdict = { kind: 'admitted' } | { kind: 'accepted' } | { kind: 'violates'; findingName: string };

/** What admission does with a digest of a guarded repository, from the continuity decision. */
export function verdictOf(v: DigestVerdict): Verdict | undefined {
  // decide() admits a digest with a finding only when a user accepted it (guarded repositories).
  if (v.decision.admit) return v.decision.finding ? { kind: 'accepted' } : { kind: 'admitted' };
  // Denied without a finding is Checking, never verified: no entry, so admission denies Pods
  // (fail closed) and admits templates (not known to violate).
  if (v.decision.finding) return { kind: 'violates', findingName: v.findingName ?? '' };
  return undefined;
}

const FINDING_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SOURCE = /^(signingbaseline|signaturepin)\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The verdict as the policy reads it: `+`, `+accepted`, `-<finding>` (`-` alone: finding unknown). */
function spelled(v: Verdict): string {
  if (v.kind === 'admitted') return '+';
  if (v.kind === 'accepted') return '+accepted';
  // A finding name is an object name; anything else must not reach a denial message.
  return FINDING_NAME.test(v.findingName) && v.findingName.length <= 253 ? `-${v.findingName}` : '-';
}

/** Printable ASCII, bounded: untrusted signer text shown in denial messages. */
export function sanitizeLine(text: string, max = MAX_EXPECTED_LENGTH): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

/** Whether `reference` parses to exactly this repository key and this digest or tag. */
function exact(reference: string, repository: string, part: { digest?: string; tag?: string }): boolean {
  const parsed = parseImageReference(reference);
  return (
    !('error' in parsed) &&
    parsed.canonical === repository &&
    parsed.digest === part.digest &&
    parsed.tag === part.tag
  );
}

/** What is kept first under the size bound (lower first). */
const PRIORITY = {
  repository: 0,
  /** Admitted digests, and the violating digests of repositories nobody guards: Pods need them. */
  admittedDigest: 1,
  admittedTag: 2,
  /** Of guarded repositories, for templates' early feedback: Pods are denied these anyway. */
  violatingDigest: 3,
  violatingTag: 4,
};

/**
 * The same entry with an admitted digest listed under its repository's `digests` rather than by
 * reference in `spec.admitted`: about a third fewer bytes each, when listing by reference does not fit.
 */
const byRepository = (e: Entry): Entry =>
  e.field === 'admitted' ? { ...e, field: 'digests', key: e.key.slice(e.repository.length + 1) } : e;

/**
 * The entries of the parameters, by priority, admitted digests listed by reference
 * (`<repository>@<digest>`: one map read for an image written so); input sorted by repository.
 */
function entriesOf(repositories: readonly GuardedRepository[]): Entry[] {
  const entries: Entry[] = [];
  for (const repo of repositories) {
    // Keys are exact texts of references: a repository that is not its own canonical key would
    // never be looked up, and must not be mistaken for one by the policy's shortcut.
    if (!exact(repo.repository, repo.repository, {})) continue;
    const guarded = repo.guarded !== false;
    if (guarded)
      entries.push({
        repository: repo.repository,
        field: 'guardedBy',
        key: '',
        value: SOURCE.test(repo.source) ? repo.source : 'driftfindings',
        signers: sanitizeLine(repo.expected.join(', ') || 'none recorded'),
        priority: PRIORITY.repository,
      });
    const verdicts = new Map<string, Verdict>();
    for (const d of repo.digests) {
      const verdict = verdictOf(d);
      if (!verdict || (!guarded && verdict.kind !== 'violates')) continue;
      if (!exact(`${repo.repository}@${d.digest}`, repo.repository, { digest: d.digest })) continue;
      verdicts.set(d.digest, verdict);
      const admits = verdict.kind !== 'violates';
      entries.push({
        repository: repo.repository,
        field: admits ? 'admitted' : 'digests',
        key: admits ? `${repo.repository}@${d.digest}` : d.digest,
        value: spelled(verdict),
        // Of a repository nobody guards the violating digests are all that denies its Pods: as
        // vital as admitted digests (without them admission would admit, not fail closed).
        priority: verdict.kind === 'violates' && guarded ? PRIORITY.violatingDigest : PRIORITY.admittedDigest,
      });
    }
    for (const { tag, digest } of guarded ? (repo.tags ?? []) : []) {
      const verdict = verdicts.get(digest);
      if (!verdict || !exact(`${repo.repository}:${tag}`, repo.repository, { tag })) continue;
      entries.push({
        repository: repo.repository,
        field: 'tags',
        key: tag,
        value: verdict.kind === 'violates' ? spelled(verdict) : '+',
        priority: verdict.kind === 'violates' ? PRIORITY.violatingTag : PRIORITY.admittedTag,
      });
    }
  }
  return entries;
}

/** The parameters of one namespace. Deterministic: same input, same object. */
export function generateParameters(input: ParametersInput): ParametersResult {
  const repositoriesIn = [...input.repositories].sort((a, b) => compare(a.repository, b.repository));
  // Within the bound, by priority: repositories, admitted digests and the violating digests of
  // repositories nobody guards first (without them admission must fail closed), then admitted tags,
  // then what only gives templates early feedback. Admitted digests are listed by reference unless
  // that leaves out anything a Pod needs (up to admitted tags); then by repository, where more fit.
  const maxBytes = (input.maxBytes ?? MAX_SPEC_BYTES) - FIXED_BYTES;
  const entries = entriesOf(repositoriesIn);
  const byReference = place(entries, maxBytes);
  const {
    repositories: built,
    admitted,
    dropped,
    firstDropped,
  } = byReference.firstDropped <= PRIORITY.admittedTag
    ? place(entries.map(byRepository), maxBytes)
    : byReference;
  const overflow = firstDropped <= PRIORITY.admittedDigest;

  const sorted = (map: Map<string, string>) => Object.fromEntries([...map].sort(([a], [b]) => compare(a, b)));
  const repositories: EnforcementParametersSpec['repositories'] = {};
  for (const key of [...built.keys()].sort(compare)) {
    const b = built.get(key)!;
    repositories[key] = {
      ...(b.guardedBy !== undefined ? { guardedBy: b.guardedBy, signers: b.signers } : {}),
      ...(b.digests ? { digests: sorted(b.digests) } : {}),
      ...(b.tags ? { tags: sorted(b.tags) } : {}),
    };
  }
  const values = Object.values(repositories);
  const spec: EnforcementParametersSpec = {
    repositories,
    admitted: sorted(admitted) as EnforcementParametersSpec['admitted'],
    overflow,
    dropped,
    counts: {
      repositories: values.filter((r) => r.guardedBy !== undefined).length,
      digests: admitted.size + values.reduce((n, r) => n + Object.keys(r.digests ?? {}).length, 0),
      tags: values.reduce((n, r) => n + Object.keys(r.tags ?? {}).length, 0),
    },
  };
  return {
    object: {
      apiVersion: API_VERSION,
      kind: 'EnforcementParameters',
      metadata: {
        name: input.name ?? DEFAULT_PARAMETERS_NAME,
        namespace: input.namespace,
        labels: { ...PARAMETERS_LABELS },
      },
      spec,
    },
    dropped,
    overflow,
    bytes: JSON.stringify(spec).length,
  };
}

/** Bytes of the spec outside the two maps' entries, at most (the counts' digits included). */
const FIXED_BYTES = 200;

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
