import { describe, expect, it } from 'vitest';
import { setCondition } from './conditions.ts';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-02T00:00:00Z');
const ready = {
  type: 'Ready',
  status: 'True' as const,
  reason: 'Valid',
  message: 'ok',
  observedGeneration: 1,
};

describe('setCondition', () => {
  it('adds a condition stamped with the time, in whole seconds', () => {
    expect(setCondition(undefined, ready, t0)).toEqual([
      { ...ready, lastTransitionTime: '2026-01-01T00:00:00Z' },
    ]);
  });

  it('keeps lastTransitionTime while the status holds, even if reason or message change', () => {
    const first = setCondition(undefined, ready, t0);
    const second = setCondition(first, { ...ready, message: 'still ok', observedGeneration: 2 }, t1);
    expect(second[0]).toMatchObject({
      message: 'still ok',
      observedGeneration: 2,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
  });

  it('moves lastTransitionTime when the status changes', () => {
    const first = setCondition(undefined, ready, t0);
    const second = setCondition(first, { ...ready, status: 'False', reason: 'InvalidRegExp' }, t1);
    expect(second[0]?.lastTransitionTime).toBe('2026-01-02T00:00:00Z');
  });

  it('keeps other types, sorted by type', () => {
    const both = setCondition(
      setCondition(undefined, ready, t0),
      { ...ready, type: 'Degraded', status: 'False' },
      t1,
    );
    expect(both.map((c) => c.type)).toEqual(['Degraded', 'Ready']);
  });
});
