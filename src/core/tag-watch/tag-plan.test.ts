import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.ts';
import type { TagOutcome, TagRecord } from './tag-plan.ts';
import { planTags } from './tag-plan.ts';

const digest = (n: number) => `sha256:${String(n).repeat(64)}`;
const seen = (n: number, posture: Observation['posture'] = 'Signed'): Observation => ({
  digest: digest(n),
  posture,
  signers: [],
  ...(posture === 'Checking' ? { checkingReason: 'Timeout' } : {}),
});
const record = (n: number, posture: Observation['posture'] = 'Signed'): TagRecord => ({
  digest: digest(n),
  observation: seen(n, posture),
});
const named = (n: number, posture?: Observation['posture']): TagOutcome => ({
  kind: 'Named',
  digest: digest(n),
  ...(posture ? { observation: seen(n, posture) } : {}),
});

describe('planTags', () => {
  // Each row: tags and records before, tags selected now with their outcomes, records after, removed, pending.
  it.each<
    [string, [string, TagRecord][], string[], [string, TagOutcome][], [string, TagRecord][], string[], number]
  >([
    ['records a newly judged tag', [], ['v1'], [['v1', named(1, 'Signed')]], [['v1', record(1)]], [], 0],
    [
      'records a resting posture that is not signed',
      [],
      ['v1'],
      [['v1', named(1, 'Unsigned')]],
      [['v1', record(1, 'Unsigned')]],
      [],
      0,
    ],
    [
      'follows a tag that moved',
      [['v1', record(1)]],
      ['v1'],
      [['v1', named(2, 'Unsigned')]],
      [['v1', record(2, 'Unsigned')]],
      [],
      0,
    ],
    ['removes a tag no longer selected', [['v1', record(1)]], [], [], [], ['v1'], 0],
    ['removes a tag that is gone', [['v1', record(1)]], ['v1'], [['v1', { kind: 'Gone' }]], [], ['v1'], 0],
    [
      'keeps a tag the registry did not answer for',
      [['v1', record(1)]],
      ['v1'],
      [['v1', { kind: 'Unknown', reason: 'Timeout' }]],
      [['v1', record(1)]],
      [],
      1,
    ],
    ['keeps a tag not reached', [['v1', record(1)]], ['v1'], [], [['v1', record(1)]], [], 1],
    [
      'records nothing for a new tag that cannot be judged',
      [],
      ['v1'],
      [['v1', named(1, 'Checking')]],
      [],
      [],
      1,
    ],
    [
      'keeps the record of an unmoved tag whose judgement failed',
      [['v1', record(1)]],
      ['v1'],
      [['v1', named(1, 'Checking')]],
      [['v1', record(1)]],
      [],
      1,
    ],
    [
      'drops the record of a moved tag whose new digest cannot be judged',
      [['v1', record(1)]],
      ['v1'],
      [['v1', named(2)]],
      [],
      ['v1'],
      1,
    ],
  ])('%s', (_, before, selected, outcomes, after, removed, pending) => {
    const plan = planTags(new Map(before), selected, new Map(outcomes));
    expect([...plan.records]).toEqual(after);
    expect(plan.removed).toEqual(removed);
    expect(plan.pending).toHaveLength(pending);
  });

  it('says why a tag is pending', () => {
    const plan = planTags(new Map(), ['a', 'b'], new Map([['a', named(1, 'Checking')]]));
    expect(plan.pending).toEqual(['a: Timeout', 'b: not reached']);
  });
});
