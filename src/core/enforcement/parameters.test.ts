import { describe, expect, it } from 'vitest';
import { enforcementParametersSpecSchema } from '../../api/enforcement-parameters.ts';
import type { Finding } from '../continuity/decide.ts';
import type { GuardedRepository } from './parameters.ts';
import { generateParameters, MAX_SPEC_BYTES, verdictOf } from './parameters.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const finding = { kind: 'Unsigned' } as Finding;

describe('verdictOf (from the continuity decision)', () => {
  it.each([
    ['verified', { admit: true }, { kind: 'admitted' }],
    ['accepted finding', { admit: true, finding }, { kind: 'accepted' }],
    ['finding, denied', { admit: false, finding }, { kind: 'violates', findingName: 'f' }],
    ['Checking, never verified', { admit: false }, undefined],
  ] as const)('%s', (_, decision, verdict) => {
    expect(verdictOf({ digest: digest('a'), decision, findingName: 'f' })).toEqual(verdict);
  });
});

describe('generateParameters', () => {
  const repo: GuardedRepository = {
    repository: 'ghcr.io/acme/api',
    source: 'signingbaseline/api-123',
    expected: ['release.yml (issuer)', 'key sha256:ab\nforged line'],
    digests: [
      { digest: digest('1'), decision: { admit: true } },
      { digest: digest('2'), decision: { admit: false, finding }, findingName: 'api-unsigned-1' },
      { digest: digest('3'), decision: { admit: true, finding } },
      { digest: digest('4'), decision: { admit: false } },
    ],
    tags: [
      { tag: 'v1', digest: digest('1') },
      { tag: 'bad', digest: digest('2') },
      { tag: 'new', digest: digest('4') },
    ],
  };

  it('lists every verdict under its exact text, sanitized, valid by the CRD schema', () => {
    const { object, dropped, overflow } = generateParameters({ namespace: 'payments', repositories: [repo] });
    expect(object).toMatchObject({
      apiVersion: 'signwarden.dev/v1alpha1',
      kind: 'EnforcementParameters',
      metadata: { name: 'signwarden-enforcement', namespace: 'payments' },
    });
    expect([dropped, overflow]).toEqual([0, false]);
    expect(object.spec).toEqual({
      repositories: {
        'ghcr.io/acme/api': {
          guardedBy: 'signingbaseline/api-123',
          signers: 'release.yml (issuer), key sha256:ab?forged line',
          digests: { [digest('2')]: '-api-unsigned-1' },
          tags: { bad: '-api-unsigned-1', v1: '+' },
        },
      },
      admitted: {
        [`ghcr.io/acme/api@${digest('1')}`]: '+',
        [`ghcr.io/acme/api@${digest('3')}`]: '+accepted',
      },
      overflow: false,
      dropped: 0,
      counts: { repositories: 1, digests: 3, tags: 2 },
    });
    expect(enforcementParametersSpecSchema.safeParse(object.spec).success).toBe(true);
  });

  it.each([
    [
      'an unguarded repository: only its violating digests, no guard',
      { guarded: false },
      { digests: { [digest('2')]: '-api-unsigned-1' } },
      [],
    ],
    [
      'a finding name that is not an object name',
      {
        digests: [{ digest: digest('2'), decision: { admit: false, finding }, findingName: 'x y\n+' }],
        tags: [],
      },
      { guardedBy: 'signingbaseline/api-123', digests: { [digest('2')]: '-' } },
      [],
    ],
    [
      'a source that is not an object reference',
      { source: 'pin x', digests: [], tags: [] },
      { guardedBy: 'driftfindings' },
      [],
    ],
    [
      'a digest or tag whose reference would not parse back to itself',
      {
        digests: [
          { digest: 'sha256:ABC', decision: { admit: true } },
          { digest: digest('1'), decision: { admit: true } },
        ],
        tags: [
          { tag: '-bad', digest: digest('1') },
          { tag: 'v1@x', digest: digest('1') },
        ],
      },
      { guardedBy: 'signingbaseline/api-123' },
      [`ghcr.io/acme/api@${digest('1')}`],
    ],
  ] as const)('%s', (_, change, expected, admitted) => {
    const { object } = generateParameters({ namespace: 'n', repositories: [{ ...repo, ...change }] });
    // The signers are the same in every case (checked above).
    expect({ ...object.spec.repositories['ghcr.io/acme/api'], signers: undefined }).toEqual(expected);
    expect(Object.keys(object.spec.admitted ?? {})).toEqual(admitted);
  });

  it.each(['docker.io/nginx', 'ghcr.io/Acme/api', 'ghcr.io/acme/api:v1', 'has space/x'])(
    'leaves out a repository that is not its own canonical key: %s',
    (repository) => {
      const { object } = generateParameters({ namespace: 'n', repositories: [{ ...repo, repository }] });
      expect([object.spec.repositories, object.spec.admitted]).toEqual([{}, {}]);
    },
  );

  it('is deterministic whatever the input order', () => {
    const other = { ...repo, repository: 'docker.io/library/nginx', source: 'signaturepin/nginx' };
    const a = generateParameters({ namespace: 'n', repositories: [repo, other] });
    const b = generateParameters({
      namespace: 'n',
      repositories: [
        other,
        { ...repo, digests: [...repo.digests].reverse(), tags: [...(repo.tags ?? [])].reverse() },
      ],
    });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(Object.keys(a.object.spec.repositories)).toEqual(['docker.io/library/nginx', 'ghcr.io/acme/api']);
  });

  const many = (n: number): GuardedRepository[] =>
    Array.from({ length: n }, (_, i) => ({ ...repo, repository: `ghcr.io/acme/app-${i}` }));

  /** Admitted digests of `many(n)` the parameters list as admitted. */
  const admittedListed = (spec: { admitted?: Record<string, string> }) =>
    Object.keys(spec.admitted ?? {}).length;

  it.each([
    ['everything fits', 1_000_000, { overflow: false, dropped: 0, digests: 300, tags: 200 }],
    ['templates-only verdicts are dropped first', 36_000, { overflow: false }],
    ['admitted digests that do not fit: overflow, fail closed', 20_000, { overflow: true }],
  ] as const)('size bound: %s', (_, maxBytes, expected) => {
    const result = generateParameters({ namespace: 'n', repositories: many(100), maxBytes });
    const { spec } = result.object;
    expect(result.bytes).toBe(JSON.stringify(spec).length);
    expect(result.bytes).toBeLessThanOrEqual(maxBytes);
    expect(spec).toMatchObject({ overflow: expected.overflow, dropped: result.dropped });
    expect(result.overflow).toBe(expected.overflow);
    if ('dropped' in expected)
      expect([result.dropped, spec.counts.digests, spec.counts.tags]).toEqual([
        0,
        expected.digests,
        expected.tags,
      ]);
    else expect(result.dropped).toBeGreaterThan(0);
    // Without overflow every guarded repository and every admitted digest is listed.
    if (!expected.overflow) {
      expect(spec.counts.repositories).toBe(100);
      expect(admittedListed(spec)).toBe(200);
    } else expect(admittedListed(spec)).toBeLessThan(200);
  });

  it('lists admitted digests by repository when they would not all fit by reference', () => {
    // Only what Pods need: leaving anything out of it is what switches.
    const repositories = many(100).map((r) => ({
      ...r,
      digests: r.digests.filter((d) => d.decision.admit),
      tags: r.tags?.filter((t) => t.tag === 'v1'),
    }));
    const byReference = generateParameters({ namespace: 'n', repositories, maxBytes: Infinity });
    const { object, overflow, dropped } = generateParameters({
      namespace: 'n',
      repositories,
      // The bound keeps room for the counts: listed by reference, they no longer fit.
      maxBytes: byReference.bytes,
    });
    expect([byReference.overflow, overflow, dropped]).toEqual([false, false, 0]);
    expect([admittedListed(byReference.object.spec), admittedListed(object.spec)]).toEqual([200, 0]);
    expect(object.spec.repositories['ghcr.io/acme/app-7']).toMatchObject({
      digests: { [digest('1')]: '+', [digest('3')]: '+accepted' },
      tags: { v1: '+' },
    });
    expect(object.spec.counts).toEqual(byReference.object.spec.counts);
  });

  it('keeps listing admitted digests by reference when only template feedback is left out', () => {
    const byReference = generateParameters({ namespace: 'n', repositories: many(100), maxBytes: Infinity });
    const result = generateParameters({
      namespace: 'n',
      repositories: many(100),
      maxBytes: byReference.bytes,
    });
    expect(result.dropped).toBeGreaterThan(0);
    const { spec } = result.object;
    const admittedTags = Object.values(spec.repositories).filter((r) => r.tags?.v1 === '+').length;
    expect([result.overflow, admittedListed(spec), admittedTags]).toEqual([false, 200, 100]);
  });

  it('never drops a violating digest of a repository nobody guards without failing closed', () => {
    // Nothing else would deny its Pods: dropping it silently would admit them.
    const unguarded: GuardedRepository = {
      repository: 'ghcr.io/someone/tampered',
      guarded: false,
      source: '',
      expected: [],
      digests: [{ digest: digest('9'), decision: { admit: false, finding }, findingName: 'tampered-9' }],
    };
    const full = generateParameters({ namespace: 'n', repositories: [...many(100), unguarded] });
    for (let maxBytes = 10_000; maxBytes <= full.bytes; maxBytes += 2_000) {
      const { object, overflow } = generateParameters({
        namespace: 'n',
        repositories: [...many(100), unguarded],
        maxBytes,
      });
      const listed = object.spec.repositories['ghcr.io/someone/tampered']?.digests?.[digest('9')];
      expect(listed === '-tampered-9' || overflow, `at ${maxBytes} bytes`).toBe(true);
    }
  });

  it('keeps the default bound under 1 MiB with the object around it', () => {
    const result = generateParameters({ namespace: 'n', repositories: many(5000) });
    expect(result.overflow).toBe(true);
    expect(result.bytes).toBeLessThanOrEqual(MAX_SPEC_BYTES);
    expect(JSON.stringify(result.object).length).toBeLessThan(1024 * 1024);
  });
});
