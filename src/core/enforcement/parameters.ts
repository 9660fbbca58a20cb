// The per-namespace enforcement parameters (DESIGN.md §5): the verdicts the operator publishes so
// that the admission policy, which cannot call a registry, can decide in CEL. A ConfigMap in each
// enforced namespace, written from the same decisions as the DriftFindings (decide.ts).
//
// Layout (docs/enforcement.md): ConfigMap keys allow only [-._a-zA-Z0-9] and 253 characters, so a
// key is a lossy, deterministic spelling of what it indexes — `<kind>.<text with / : @ [ ] replaced
// by S C A L R>`, cut at 253 characters — and the value holds exact records, one a line, framed by
// newlines: `\n<text> <payload>\n`. A lookup reads one key (O(1)) and then matches the exact record,
// so two texts that spell the same key (only possible for texts near the length limit, or tags with
// upper-case letters) share a value and never each other's verdicts.
//
//   R.<repository>             `<repository> <source> <expected signers>`: the repository is guarded
//                              (an unguarded repository has no R record, only its violating digests)
//   D.<digest@repository>      `<digest@repository> +` verified, `+accepted` accepted, `-<finding>` known to violate
//   T.<repository:tag>         `<repository:tag> +` the tag resolved to an admitted digest, `-<finding>` to a violating one
//   overflow                   present when the verdicts did not fit: every repository counts as guarded
import type { Decision } from '../continuity/decide.ts';

export const DEFAULT_PARAMETERS_NAME = 'signwarden-enforcement';
/** ConfigMap key bound (a DNS subdomain's length). */
export const MAX_KEY_LENGTH = 253;
/** Bytes of data kept under the 1 MiB a ConfigMap may hold, leaving room for metadata. */
export const MAX_DATA_BYTES = 900_000;
/** Bound on the expected-signers text of one repository record. */
export const MAX_EXPECTED_LENGTH = 512;
export const OVERFLOW_KEY = 'overflow';

export type RecordKind = 'R' | 'D' | 'T';

const KEY_SPELLING: [string, string][] = [
  ['/', 'S'],
  [':', 'C'],
  ['@', 'A'],
  ['[', 'L'],
  [']', 'R'],
];

/** The ConfigMap key under which records about `text` are kept. */
export function dataKey(kind: RecordKind, text: string): string {
  let key = `${kind}.${text}`;
  for (const [from, to] of KEY_SPELLING) key = key.replaceAll(from, to);
  return key.length > MAX_KEY_LENGTH ? key.slice(0, MAX_KEY_LENGTH) : key;
}

/** The same key as `dataKey`, in CEL, for the CEL string expression `text`. */
export function celDataKey(kind: RecordKind, text: string): string {
  const spelled = KEY_SPELLING.reduce(
    (expr, [from, to]) => `${expr}.replace("${from}", "${to}")`,
    `("${kind}." + ${text})`,
  );
  return `[${spelled}].map(k, size(k) > ${MAX_KEY_LENGTH} ? k.substring(0, ${MAX_KEY_LENGTH}) : k)[0]`;
}

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
}

export interface ParametersResult {
  configMap: {
    apiVersion: 'v1';
    kind: 'ConfigMap';
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    data: Record<string, string>;
  };
  /** Records left out to stay within MAX_DATA_BYTES; with `overflow` every repository is guarded. */
  dropped: number;
  overflow: boolean;
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
  // Denied without a finding is Checking, never verified: no record, so admission denies Pods
  // (fail closed) and admits templates (not known to violate).
  if (v.decision.finding) return { kind: 'violates', findingName: v.findingName ?? '' };
  return undefined;
}

const payload = (v: Verdict): string =>
  v.kind === 'violates' ? `-${v.findingName}` : v.kind === 'accepted' ? '+accepted' : '+';

/** Printable ASCII, no newline, bounded: untrusted signer text inside a record. */
export function sanitizeLine(text: string, max = MAX_EXPECTED_LENGTH): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

// Texts inside records are canonical keys, digests and tags: no space or newline. A malformed one
// (never produced by the parser) is skipped rather than allowed to forge another record.
const RECORD_TEXT = /^[\x21-\x7e]+$/;
const FINDING_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The parameters ConfigMap of one namespace. Deterministic: same input, same object. */
export function generateParameters(input: ParametersInput): ParametersResult {
  const records: { kind: RecordKind; text: string; payload: string; priority: number }[] = [];
  for (const repo of [...input.repositories].sort((a, b) => compare(a.repository, b.repository))) {
    if (!RECORD_TEXT.test(repo.repository)) continue;
    const guarded = repo.guarded !== false;
    const source = RECORD_TEXT.test(repo.source) ? repo.source : 'driftfindings';
    const expected = sanitizeLine(repo.expected.join(', ') || 'none recorded');
    if (guarded)
      records.push({ kind: 'R', text: repo.repository, payload: `${source} ${expected}`, priority: 0 });
    const verdicts = new Map<string, Verdict>();
    for (const d of repo.digests) {
      const found = verdictOf(d);
      if (!found || !RECORD_TEXT.test(d.digest) || (!guarded && found.kind !== 'violates')) continue;
      // A finding name is an object name; anything else must not reach a record.
      const verdict: Verdict =
        found.kind === 'violates' && !FINDING_NAME.test(found.findingName)
          ? { kind: 'violates', findingName: 'unnamed' }
          : found;
      verdicts.set(d.digest, verdict);
      records.push({
        kind: 'D',
        text: `${d.digest}@${repo.repository}`,
        payload: payload(verdict),
        priority: verdict.kind === 'violates' ? 3 : 1,
      });
    }
    for (const { tag, digest } of guarded ? (repo.tags ?? []) : []) {
      const verdict = verdicts.get(digest);
      if (!verdict || !RECORD_TEXT.test(tag)) continue;
      records.push({
        kind: 'T',
        text: `${repo.repository}:${tag}`,
        payload: verdict.kind === 'violates' ? payload(verdict) : '+',
        priority: verdict.kind === 'violates' ? 4 : 2,
      });
    }
  }

  // Within the byte budget, by priority: repositories and admitted digests first (without them
  // admission must fail closed), then admitted tags, then what only gives templates early feedback.
  const ordered = records
    .map((r, index) => ({ ...r, index }))
    .sort((a, b) => a.priority - b.priority || a.index - b.index);
  const byKey = new Map<string, string[]>();
  let bytes = 0;
  let dropped = 0;
  let overflow = false;
  for (const r of ordered) {
    const key = dataKey(r.kind, r.text);
    const line = `${r.text} ${r.payload}`;
    const cost = line.length + 1 + (byKey.has(key) ? 0 : key.length + 2);
    if (bytes + cost > MAX_DATA_BYTES) {
      dropped++;
      if (r.priority <= 1) overflow = true;
      continue;
    }
    bytes += cost;
    byKey.set(key, [...(byKey.get(key) ?? []), line]);
  }

  const data: Record<string, string> = {};
  for (const key of [...byKey.keys()].sort(compare)) data[key] = `\n${byKey.get(key)!.join('\n')}\n`;
  if (overflow) data[OVERFLOW_KEY] = 'true';
  return {
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: input.name ?? DEFAULT_PARAMETERS_NAME,
        namespace: input.namespace,
        labels: { ...PARAMETERS_LABELS },
      },
      data,
    },
    dropped,
    overflow,
  };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
