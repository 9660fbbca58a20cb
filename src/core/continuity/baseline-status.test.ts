import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation.ts';
import { nextBaselineStatus } from './baseline-status.ts';
import type { BaselineStatus } from './baseline-status.ts';
import type { Decision } from './decide.ts';
import type { SignerRef } from './signer-ref.ts';

const HOUR = 3_600_000;
const policy = { establishAfterMs: 24 * HOUR, heartbeatMs: HOUR };
const t0 = new Date('2026-11-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const release: SignerRef = {
  kind: 'Keyless',
  identity: 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/*',
  issuer: 'https://token.actions.githubusercontent.com',
};
const key: SignerRef = { kind: 'Key', fingerprint: `sha256:${'f'.repeat(64)}` };

const observation = (digest: string, posture: Observation['posture']): Observation => ({
  digest,
  posture,
  signers: [],
});
const decision = (learn: SignerRef[] = [], seen: SignerRef[] = []): Decision => ({
  admit: true,
  reason: 'x',
  learn,
  seen,
  guarded: false,
});

describe('nextBaselineStatus', () => {
  it('learns a cold baseline, due for establishment after the age', () => {
    const { status, requeueAfterMs } = nextBaselineStatus(
      undefined,
      [{ observation: observation(D1, 'Signed'), decision: decision([release]) }],
      t0,
      policy,
    );
    expect(status).toMatchObject({
      established: false,
      firstSignedTime: '2026-11-01T00:00:00Z',
      strongestPosture: 'Signed',
      lastObserved: { digest: D1, posture: 'Signed', time: '2026-11-01T00:00:00Z' },
      signers: [
        {
          identity: release.kind === 'Keyless' ? release.identity : '',
          learnedFrom: 'Observed',
          firstSeen: '2026-11-01T00:00:00Z',
        },
      ],
    });
    expect(status.signerSummary).toContain('release.yml@refs/tags/*');
    expect(requeueAfterMs).toBe(24 * HOUR);
  });

  it('establishes by wall-clock age, once, and never reverts', () => {
    const cold = nextBaselineStatus(
      undefined,
      [{ observation: observation(D1, 'Signed'), decision: decision([release]) }],
      t0,
      policy,
    ).status;
    expect(nextBaselineStatus(cold, [], at(24 * HOUR - 1000), policy).requeueAfterMs).toBe(1000);
    const established = nextBaselineStatus(cold, [], at(24 * HOUR), policy);
    expect(established.status).toMatchObject({ established: true, establishedTime: '2026-11-02T00:00:00Z' });
    expect(established.requeueAfterMs).toBeUndefined();
    const later = nextBaselineStatus(
      established.status,
      [{ observation: observation(D2, 'Unsigned'), decision: decision() }],
      at(48 * HOUR),
      policy,
    );
    expect(later.status.established).toBe(true);
    expect(later.status.establishedTime).toBe('2026-11-02T00:00:00Z');
  });

  it('is a fixed point for repeated identical observations (no write in steady state)', () => {
    const judged = [{ observation: observation(D1, 'Signed'), decision: decision([], [release]) }];
    const start: BaselineStatus = nextBaselineStatus(
      undefined,
      [{ observation: observation(D1, 'Signed'), decision: decision([release]) }],
      t0,
      policy,
    ).status;
    const again = nextBaselineStatus(start, judged, at(10 * 60_000), policy).status;
    expect(again).toEqual(start);
    // After the heartbeat, lastSeen moves (one write an hour at most).
    const beat = nextBaselineStatus(start, judged, at(HOUR), policy).status;
    expect(beat.signers?.[0]?.lastSeen).toBe('2026-11-01T01:00:00Z');
    expect(beat.lastObserved?.time).toBe('2026-11-01T00:00:00Z');
  });

  it('records a new digest or posture as lastObserved, and never lowers the strongest posture', () => {
    const start = nextBaselineStatus(
      undefined,
      [{ observation: observation(D1, 'Signed'), decision: decision([release]) }],
      t0,
      policy,
    ).status;
    const next = nextBaselineStatus(
      start,
      [{ observation: observation(D2, 'KeySigned'), decision: decision([key]) }],
      at(5000),
      policy,
    ).status;
    expect(next.lastObserved).toEqual({ digest: D2, posture: 'KeySigned', time: '2026-11-01T00:00:05Z' });
    expect(next.strongestPosture).toBe('Signed');
    expect(next.signers).toHaveLength(2);
    expect(next.signerSummary).toMatch(/\(\+1\)$/);
  });

  it('takes lastObserved from the newest digest only, so two digests in use do not alternate', () => {
    const judged = [
      { observation: observation(D1, 'Signed'), decision: decision([release]) },
      { observation: observation(D2, 'Signed'), decision: decision([], [release]) },
    ];
    const start = nextBaselineStatus(undefined, judged, t0, policy).status;
    expect(start.lastObserved).toEqual({ digest: D2, posture: 'Signed', time: '2026-11-01T00:00:00Z' });
    expect(nextBaselineStatus(start, judged, at(5000), policy).status).toEqual(start);
  });

  it('learns nothing from unsigned observations', () => {
    const { status, requeueAfterMs } = nextBaselineStatus(
      undefined,
      [{ observation: observation(D1, 'Unsigned'), decision: decision() }],
      t0,
      policy,
    );
    expect(status.signers).toBeUndefined();
    expect(status.firstSignedTime).toBeUndefined();
    expect(requeueAfterMs).toBeUndefined();
  });
});
