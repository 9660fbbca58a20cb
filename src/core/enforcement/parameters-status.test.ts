import { describe, expect, it } from 'vitest';
import type { EnforcementParametersSpec } from '../../api/enforcement-parameters.ts';
import { parametersStatus } from './parameters-status.ts';
import type { PolicyState } from './parameters-status.ts';

const t0 = new Date('2026-11-01T00:00:00Z');
const later = new Date('2026-11-01T01:00:00Z');
const spec = (dropped: number, overflow = false): EnforcementParametersSpec => ({
  repositories: {},
  overflow,
  dropped,
  counts: { repositories: 2, digests: 5, tags: 1 },
});
const inPlace: PolicyState = { ready: true, reason: 'PolicyInPlace', message: 'in place' };
const missing: PolicyState = { ready: false, reason: 'EnforcementPolicyMissing', message: 'missing' };
const conditions = (s: ReturnType<typeof parametersStatus>) =>
  Object.fromEntries((s.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));

describe('parametersStatus', () => {
  const cases: [string, EnforcementParametersSpec, PolicyState | undefined, Record<string, string[]>][] = [
    [
      'all fits, policy in place',
      spec(0),
      inPlace,
      { Complete: ['True', 'AllVerdictsFit'], PolicyReady: ['True', 'PolicyInPlace'] },
    ],
    [
      'template verdicts dropped',
      spec(3),
      inPlace,
      { Complete: ['False', 'Truncated'], PolicyReady: ['True', 'PolicyInPlace'] },
    ],
    [
      'overflow',
      spec(9, true),
      inPlace,
      { Complete: ['False', 'Overflow'], PolicyReady: ['True', 'PolicyInPlace'] },
    ],
    [
      'policy missing',
      spec(0),
      missing,
      { Complete: ['True', 'AllVerdictsFit'], PolicyReady: ['False', 'EnforcementPolicyMissing'] },
    ],
    [
      'policy not looked at yet',
      spec(0),
      undefined,
      { Complete: ['True', 'AllVerdictsFit'], PolicyReady: ['Unknown', 'NotChecked'] },
    ],
  ];
  for (const [name, s, policy, expected] of cases)
    it(name, () => expect(conditions(parametersStatus(undefined, s, policy, t0))).toEqual(expected));

  it('keeps transition times while statuses hold, so an unchanged state is the same object', () => {
    const first = parametersStatus(undefined, spec(0), inPlace, t0);
    expect(parametersStatus(first, spec(0), inPlace, later)).toEqual(first);
    const changed = parametersStatus(first, spec(0), missing, later);
    const time = (type: string) => changed.conditions?.find((c) => c.type === type)?.lastTransitionTime;
    expect([time('Complete'), time('PolicyReady')]).toEqual(['2026-11-01T00:00:00Z', '2026-11-01T01:00:00Z']);
  });
});
