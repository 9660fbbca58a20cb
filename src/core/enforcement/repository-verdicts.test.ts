import { describe, expect, it } from 'vitest';
import type { Finding } from '../continuity/decide.ts';
import { MAX_RETAINED_DIGESTS, nextRepositoryVerdicts, RETAIN_MS } from './repository-verdicts.ts';
import type { PlannedDigest, RepositoryVerdicts, VerdictInput } from './repository-verdicts.ts';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const finding = { kind: 'Unsigned' } as Finding;
const admitted = (n: number): PlannedDigest => ({
  digest: digest(n),
  decision: { admit: true },
});
const violating = (n: number): PlannedDigest => ({
  digest: digest(n),
  decision: { admit: false, finding },
  findingName: `api-unsigned-${n}`,
});
const checking = (n: number): PlannedDigest => ({
  digest: digest(n),
  decision: { admit: false },
});
const input = (planned: PlannedDigest[], over: Partial<VerdictInput> = {}): VerdictInput => ({
  repository: 'ghcr.io/acme/api',
  guarded: true,
  source: 'signingbaseline/api',
  expected: ['release.yml (issuer GH)'],
  planned,
  tags: [],
  now: 1_000_000,
  ...over,
});
const digestsOf = (v: RepositoryVerdicts | undefined) =>
  v?.digests.map((d) => [d.digest, d.decision.admit, d.findingName ?? '']);

describe('nextRepositoryVerdicts', () => {
  const cases: {
    name: string;
    previous?: [PlannedDigest[], number];
    next: VerdictInput;
    expected: ReturnType<typeof digestsOf>;
  }[] = [
    {
      name: 'publishes every planned digest of a guarded repository, sorted',
      next: input([violating(2), admitted(1), checking(3)]),
      expected: [
        [digest(1), true, ''],
        [digest(2), false, 'api-unsigned-2'],
        [digest(3), false, ''],
      ],
    },
    {
      name: 'keeps an admitted digest no longer in use',
      previous: [[admitted(1)], 1_000],
      next: input([admitted(2)]),
      expected: [
        [digest(1), true, ''],
        [digest(2), true, ''],
      ],
    },
    {
      name: 'forgets a violating digest no longer in use (admission fails closed on it)',
      previous: [[violating(1)], 1_000],
      next: input([admitted(2)]),
      expected: [[digest(2), true, '']],
    },
    {
      name: 'forgets an admitted digest older than the retention',
      previous: [[admitted(1)], 1_000_000 - RETAIN_MS],
      next: input([]),
      expected: [],
    },
    {
      name: 'a digest in use is judged by its current decision, not the retained one',
      previous: [[admitted(1)], 1_000],
      next: input([violating(1)]),
      expected: [[digest(1), false, 'api-unsigned-1']],
    },
    {
      name: 'an unguarded repository publishes its violating digests only',
      next: input([violating(1), admitted(2)], { guarded: false }),
      expected: [
        [digest(1), false, 'api-unsigned-1'],
        [digest(2), true, ''],
      ],
    },
    {
      name: 'an unguarded repository with nothing violating is not published',
      next: input([admitted(1)], { guarded: false }),
      expected: undefined,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const previous =
        c.previous && nextRepositoryVerdicts(undefined, input(c.previous[0], { now: c.previous[1] }));
      expect(digestsOf(nextRepositoryVerdicts(previous, c.next))).toEqual(c.expected);
    });

  it('keeps at most MAX_RETAINED_DIGESTS, the most recently admitted', () => {
    let verdicts: RepositoryVerdicts | undefined;
    const total = MAX_RETAINED_DIGESTS + 10;
    for (let n = 1; n <= total; n++)
      verdicts = nextRepositoryVerdicts(verdicts, input([admitted(n)], { now: n }));
    const next = nextRepositoryVerdicts(verdicts, input([], { now: total + 1 }));
    expect(next?.digests).toHaveLength(MAX_RETAINED_DIGESTS);
    expect(next?.digests.map((d) => d.digest)).not.toContain(digest(10));
    expect(next?.digests.map((d) => d.digest)).toContain(digest(total));
  });

  it('keeps the time a retained digest was admitted, so retention ends', () => {
    const first = nextRepositoryVerdicts(undefined, input([admitted(1)], { now: 0 }));
    const later = nextRepositoryVerdicts(first, input([], { now: RETAIN_MS - 1 }));
    expect(later?.admittedAt[digest(1)]).toBe(0);
    expect(digestsOf(nextRepositoryVerdicts(later, input([], { now: RETAIN_MS })))).toEqual([]);
  });
});
