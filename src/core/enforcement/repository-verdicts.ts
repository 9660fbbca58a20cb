// What enforcement publishes about one repository, from the continuity plan of its digests in use
// (planRepository → decide), merged with what it published before: a digest verified earlier stays
// admitted for a while after nothing uses it any more, so that a rollback or a re-run Job is not
// denied as "never verified". Verdicts that deny are kept only while a digest is in use: once
// nothing runs it, admission fails closed on it anyway.
import { toRef } from '../continuity/baseline-status.ts';
import type { Decision, PinState } from '../continuity/decide.ts';
import { objectName } from '../continuity/object-name.ts';
import type { RepositoryPlan } from '../continuity/repository-plan.ts';
import { findingName } from '../continuity/repository-plan.ts';
import { signerText } from '../continuity/signer-ref.ts';
import type { DigestVerdict, GuardedRepository } from './parameters.ts';

/** Admitted digests no longer in use, kept per repository (most recently admitted first). */
export const MAX_RETAINED_DIGESTS = 64;
/** How long an admitted digest no longer in use stays admitted. */
export const RETAIN_MS = 7 * 24 * 3_600_000;

export interface PlannedDigest {
  digest: string;
  decision: Pick<Decision, 'admit' | 'finding'>;
  findingName?: string;
}

export interface RepositoryVerdicts extends GuardedRepository {
  /** When each admitted digest was last admitted in use (epoch ms), for retention. */
  admittedAt: Readonly<Record<string, number>>;
}

export interface VerdictInput {
  repository: string;
  /** Pinned, or an established baseline: admission checks every image of the repository. */
  guarded: boolean;
  source: string;
  expected: readonly string[];
  planned: readonly PlannedDigest[];
  /** Tags last resolved in the registry or by the inventory, and the digest each named. */
  tags: readonly { tag: string; digest: string }[];
  now: number;
}

/** The verdict input of a repository from its continuity plan and the pin in force. */
export function verdictInput(
  repository: string,
  plan: RepositoryPlan,
  pin: PinState | undefined,
  tags: readonly { tag: string; digest: string }[],
  now: number,
): VerdictInput {
  return {
    repository,
    guarded: pin !== undefined || plan.baseline?.established === true,
    source: pin ? `signaturepin/${pin.name}` : `signingbaseline/${objectName(repository)}`,
    expected: pin ? pin.expected : (plan.baseline?.signers ?? []).map((s) => signerText(toRef(s))),
    planned: plan.decisions.map(({ observation, decision }) => ({
      digest: observation.digest,
      decision,
      ...(decision.finding
        ? { findingName: findingName(repository, decision.finding.kind, decision.finding.subject) }
        : {}),
    })),
    tags,
    now,
  };
}

/** The next verdicts of a repository; undefined when there is nothing to publish about it. */
export function nextRepositoryVerdicts(
  previous: RepositoryVerdicts | undefined,
  input: VerdictInput,
): RepositoryVerdicts | undefined {
  const { now } = input;
  const inUse = new Set(input.planned.map((p) => p.digest));
  const digests: DigestVerdict[] = input.planned.map(({ digest, decision, findingName }) => ({
    digest,
    decision: { admit: decision.admit, ...(decision.finding ? { finding: decision.finding } : {}) },
    ...(findingName ? { findingName } : {}),
  }));
  const admittedAt: Record<string, number> = {};
  for (const d of digests) if (d.decision.admit && !d.decision.finding) admittedAt[d.digest] = now;

  // Retained: admitted before, not in use now, not too old; the most recent first, bounded.
  const retained = Object.entries(previous?.admittedAt ?? {})
    .filter(([digest, at]) => !inUse.has(digest) && now - at < RETAIN_MS)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .slice(0, MAX_RETAINED_DIGESTS);
  for (const [digest, at] of retained) {
    digests.push({ digest, decision: { admit: true } });
    admittedAt[digest] = at;
  }

  const violates = digests.some((d) => !d.decision.admit && d.decision.finding);
  if (!input.guarded && !violates) return undefined;
  return {
    repository: input.repository,
    guarded: input.guarded,
    source: input.source,
    expected: [...input.expected],
    digests: digests.sort((a, b) => compare(a.digest, b.digest)),
    tags: [...input.tags].sort((a, b) => compare(a.tag, b.tag)),
    admittedAt,
  };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
