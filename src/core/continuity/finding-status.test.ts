import { describe, expect, it } from 'vitest';
import type { Finding } from './decide.ts';
import { MAX_AFFECTED_WORKLOADS, nextFindingStatus } from './finding-status.ts';
import type { FindingStatus, FindingUpdate } from './finding-status.ts';

const HOUR = 3_600_000;
const t0 = new Date('2026-11-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const D = `sha256:${'1'.repeat(64)}`;
const finding: Finding = {
  kind: 'Unsigned',
  severity: 'High',
  subject: D,
  expectedSource: 'Baseline',
  expected: ['https://github.com/acme/api/.github/workflows/release.yml@refs/tags/* (issuer x)'],
  observed: 'Unsigned',
};
const pod = (name: string) => ({ kind: 'Pod', namespace: 'ns', name });
const shown: FindingUpdate = {
  detected: { finding, digest: D, posture: 'Unsigned' },
  inUse: true,
  workloads: [pod('b'), pod('a'), pod('a')],
};
const next = (current: FindingStatus | undefined, update: FindingUpdate, time = t0) =>
  nextFindingStatus(current, update, time, HOUR);

describe('nextFindingStatus', () => {
  it('opens a finding with what was expected and observed, workloads sorted and deduplicated', () => {
    expect(next(undefined, shown)).toEqual({
      phase: 'Open',
      severity: 'High',
      digest: D,
      expected: finding.expected,
      expectedSource: 'Baseline',
      observed: 'Unsigned',
      observedPosture: 'Unsigned',
      firstDetected: '2026-11-01T00:00:00Z',
      lastDetected: '2026-11-01T00:00:00Z',
      affectedWorkloads: [pod('a'), pod('b')],
      affectedWorkloadCount: 2,
    });
  });

  it('is a fixed point under repetition; lastDetected moves once per heartbeat', () => {
    const open = next(undefined, shown);
    expect(next(open, shown, at(10 * 60_000))).toEqual(open);
    expect(next(open, shown, at(HOUR)).lastDetected).toBe('2026-11-01T01:00:00Z');
  });

  it('bounds the workload list and counts them all', () => {
    const many = Array.from({ length: 25 }, (_, i) => pod(`p${String(i).padStart(2, '0')}`));
    const status = next(undefined, { ...shown, workloads: many });
    expect(status.affectedWorkloads).toHaveLength(MAX_AFFECTED_WORKLOADS);
    expect(status.affectedWorkloadCount).toBe(25);
  });

  it('records an acceptance once and keeps it', () => {
    const accepted = next(next(undefined, shown), { ...shown, acceptReason: 'rebuilt by hand' }, at(5000));
    expect(accepted).toMatchObject({
      phase: 'Accepted',
      acceptance: { reason: 'rebuilt by hand', time: '2026-11-01T00:00:05Z' },
    });
    expect(next(accepted, { ...shown, acceptReason: 'changed later' }, at(9000))).toEqual(accepted);
    expect(next(accepted, shown, at(9000)).phase).toBe('Accepted');
  });

  it('resolves when nothing uses the digest, once, and reopens if it comes back', () => {
    const open = next(undefined, shown);
    const resolved = next(open, { inUse: false, workloads: [] }, at(5000));
    expect(resolved).toMatchObject({
      phase: 'Resolved',
      resolvedTime: '2026-11-01T00:00:05Z',
      affectedWorkloadCount: 0,
      digest: D,
      severity: 'High',
    });
    expect(next(resolved, { inUse: false, workloads: [] }, at(9000))).toEqual(resolved);
    const back = next(resolved, shown, at(HOUR));
    expect(back.phase).toBe('Open');
    expect(back.resolvedTime).toBeUndefined();
    expect(back.firstDetected).toBe('2026-11-01T00:00:00Z');
  });

  it('keeps what it knew while the digest is in use but shows no drift now (e.g. accepted, widened)', () => {
    const open = next(undefined, { ...shown, acceptReason: 'ok' });
    const kept = next(open, { inUse: true, workloads: shown.workloads }, at(HOUR * 2));
    expect(kept).toEqual(open);
  });
});
