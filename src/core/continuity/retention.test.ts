import { describe, expect, it } from 'vitest';
import { baselinesToEvict, findingsToDelete } from './retention.ts';

const HOUR = 3_600_000;
const now = new Date('2026-11-10T00:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * HOUR).toISOString();

describe('findingsToDelete', () => {
  const findings = [
    { name: 'open', phase: 'Open' },
    { name: 'accepted', phase: 'Accepted' },
    { name: 'old', phase: 'Resolved', resolvedTime: hoursAgo(80) },
    { name: 'recent', phase: 'Resolved', resolvedTime: hoursAgo(2) },
    { name: 'older', phase: 'Resolved', resolvedTime: hoursAgo(10) },
  ];

  it.each<[string, number, number, string[], number | undefined]>([
    ['expires resolved findings after the TTL', 1000, 0, ['old'], 62 * HOUR],
    ['makes room over the cap, oldest resolved first', 3, 0, ['old', 'older'], 70 * HOUR],
    ['makes room for new findings too', 4, 1, ['old', 'older'], 70 * HOUR],
    ['never drops open or accepted findings', 1, 0, ['old', 'older', 'recent'], undefined],
  ])('%s', (_, max, incoming, names, nextExpiryMs) => {
    expect(findingsToDelete(findings, now, 72 * HOUR, max, incoming)).toEqual(
      nextExpiryMs === undefined ? { names } : { names, nextExpiryMs },
    );
  });
});

describe('baselinesToEvict', () => {
  const baselines = [
    { name: 'established', established: true, inUse: false, lastSeen: hoursAgo(100) },
    { name: 'cold-old', established: false, inUse: false, lastSeen: hoursAgo(50) },
    { name: 'cold-in-use', established: false, inUse: true, lastSeen: hoursAgo(70) },
    { name: 'cold-new', established: false, inUse: false, lastSeen: hoursAgo(1) },
    { name: 'cold-never', established: false, inUse: false },
  ];

  it.each<[string, number, number, string[]]>([
    ['evicts nothing under the cap', 6, 1, []],
    ['evicts the least recently seen cold baseline', 5, 1, ['cold-never']],
    ['evicts as many as needed', 4, 1, ['cold-never', 'cold-old']],
    ['never evicts an established baseline or one in use', 1, 1, ['cold-never', 'cold-old', 'cold-new']],
  ])('%s', (_, max, incoming, names) => {
    expect(baselinesToEvict(baselines, max, incoming)).toEqual(names);
  });
});
