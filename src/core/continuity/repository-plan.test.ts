// One repository through its life: learned, established, drifted, accepted, resolved; pins first.
import { describe, expect, it } from 'vitest';
import type { Observation, VerifiedSigner } from '../observation.ts';
import type { BaselineStatus } from './baseline-status.ts';
import type { PinState } from './decide.ts';
import { planRepository } from './repository-plan.ts';
import type { ExistingFinding, RepositoryInput, RepositoryPlan } from './repository-plan.ts';

const HOUR = 3_600_000;
const t0 = new Date('2026-11-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const REPO = 'ghcr.io/acme/api';
const digest = (n: number) => `sha256:${String(n).repeat(64)}`;
const GH = 'https://token.actions.githubusercontent.com';
const release: VerifiedSigner = {
  kind: 'Keyless',
  identity: 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1.0.0',
  issuer: GH,
};
const mallory: VerifiedSigner = { kind: 'Keyless', identity: 'mallory@evil.example', issuer: GH };
const otherIssuer: VerifiedSigner = { ...release, issuer: 'https://gitlab.example' };

const use = (
  n: number,
  posture: Observation['posture'],
  signers: VerifiedSigner[] = [],
  pods = [`p${n}`],
) => ({
  observation: { digest: digest(n), posture, signers },
  workloads: pods.map((name) => ({ kind: 'Pod', namespace: 'ns', name })),
});

const base: RepositoryInput = {
  repository: REPO,
  inUse: [],
  inventoryComplete: true,
  findings: [],
  verifiedDigests: new Set(),
  now: t0,
  policy: { establishAfterMs: 24 * HOUR, heartbeatMs: HOUR },
};

/** The state a controller would hold after applying `plan`. */
const applied = (plan: RepositoryPlan, accept: Record<string, string> = {}) => ({
  ...(plan.baseline ? { baseline: plan.baseline } : {}),
  findings: plan.findings.map((f): ExistingFinding => ({
    name: f.name,
    kind: f.kind,
    subject: f.subject,
    status: f.status,
    ...(accept[f.kind] !== undefined ? { acceptReason: accept[f.kind] } : {}),
  })),
});

const established = (): BaselineStatus =>
  planRepository({ ...base, inUse: [use(1, 'Signed', [release])], now: at(-48 * HOUR) }).baseline!;

describe('planRepository', () => {
  it('learns a cold baseline from the first signature, due for establishment by a timed requeue', () => {
    const plan = planRepository({ ...base, inUse: [use(1, 'Signed', [release])] });
    expect(plan.baseline).toMatchObject({ established: false, strongestPosture: 'Signed' });
    expect(plan.baseline?.signers).toHaveLength(1);
    expect(plan.findings).toEqual([]);
    expect(plan.requeueAfterMs).toBe(24 * HOUR);
  });

  it('creates nothing for an unsigned repository without history', () => {
    const plan = planRepository({ ...base, inUse: [use(1, 'Unsigned'), use(2, 'Checking')] });
    expect(plan.baseline).toBeUndefined();
    expect(plan.findings).toEqual([]);
    expect(plan.decisions.every((d) => d.decision.admit)).toBe(true);
  });

  it('establishes by age and is a fixed point afterwards', () => {
    const baseline = established();
    const plan = planRepository({ ...base, baseline, inUse: [use(1, 'Signed', [release])] });
    expect(plan.baseline?.established).toBe(true);
    const again = planRepository({ ...base, ...applied(plan), inUse: [use(1, 'Signed', [release])] });
    expect(again.baseline).toEqual(plan.baseline);
    expect(again.requeueAfterMs).toBeUndefined();
  });

  it('never learns a new identity on an established baseline; a second image keeps the one finding', () => {
    const baseline = established();
    const first = planRepository({ ...base, baseline, inUse: [use(2, 'Signed', [mallory])] });
    expect(first.findings).toMatchObject([
      {
        kind: 'IdentityChanged',
        opened: true,
        status: { phase: 'Open', severity: 'High', digest: digest(2) },
      },
    ]);
    expect(first.baseline?.signers).toHaveLength(1);
    const second = planRepository({
      ...base,
      ...applied(first),
      inUse: [use(2, 'Signed', [mallory]), use(3, 'Signed', [mallory])],
      now: at(1000),
    });
    expect(second.findings).toHaveLength(1);
    expect(second.findings[0]).toMatchObject({
      opened: false,
      status: { phase: 'Open', digest: digest(2), affectedWorkloadCount: 2 },
    });
    expect(second.baseline?.signers).toHaveLength(1);
    expect(second.decisions.map((d) => d.decision.admit)).toEqual([false, false]);
  });

  it('widens the baseline when an identity change is accepted; later images are continuous', () => {
    const first = planRepository({ ...base, baseline: established(), inUse: [use(2, 'Signed', [mallory])] });
    const accepted = planRepository({
      ...base,
      ...applied(first, { IdentityChanged: 'new release key' }),
      inUse: [use(2, 'Signed', [mallory])],
      now: at(1000),
    });
    expect(accepted.accepted).toEqual([
      `${mallory.kind === 'Keyless' ? mallory.identity : ''} (issuer ${GH})`,
    ]);
    expect(accepted.baseline?.signers?.map((s) => s.learnedFrom)).toEqual(['Observed', 'Accepted']);
    expect(accepted.findings[0]?.status).toMatchObject({
      phase: 'Accepted',
      acceptance: { reason: 'new release key' },
    });
    expect(accepted.decisions[0]?.decision.admit).toBe(true);
    const later = planRepository({
      ...base,
      ...applied(accepted),
      inUse: [use(2, 'Signed', [mallory]), use(3, 'Signed', [mallory])],
      now: at(2000),
    });
    expect(later.findings.map((f) => f.status.phase)).toEqual(['Accepted']);
    expect(later.decisions.every((d) => d.decision.admit && !d.decision.finding)).toBe(true);
  });

  it('detects an issuer change for the same identity', () => {
    const plan = planRepository({
      ...base,
      baseline: established(),
      inUse: [use(2, 'Signed', [otherIssuer])],
    });
    expect(plan.findings).toMatchObject([{ kind: 'IssuerChanged', status: { severity: 'High' } }]);
  });

  it('admits an accepted unsigned digest only; another unsigned digest opens a new finding', () => {
    const first = planRepository({ ...base, baseline: established(), inUse: [use(2, 'Unsigned')] });
    const accepted = planRepository({
      ...base,
      ...applied(first, { Unsigned: 'hotfix' }),
      inUse: [use(2, 'Unsigned'), use(3, 'Unsigned')],
      now: at(1000),
    });
    expect(accepted.decisions.map((d) => d.decision.admit)).toEqual([true, false]);
    expect(accepted.findings.map((f) => [f.subject, f.status.phase, f.opened])).toEqual([
      [digest(2), 'Accepted', false],
      [digest(3), 'Open', true],
    ]);
  });

  it('resolves a finding when nothing uses its digest, but not while the inventory is incomplete', () => {
    const first = planRepository({ ...base, baseline: established(), inUse: [use(2, 'Unsigned')] });
    const state = { ...base, ...applied(first), inUse: [use(1, 'Signed', [release])], now: at(5000) };
    expect(planRepository({ ...state, inventoryComplete: false }).findings[0]?.status.phase).toBe('Open');
    expect(planRepository(state).findings[0]?.status).toMatchObject({
      phase: 'Resolved',
      resolvedTime: '2026-11-01T00:00:05Z',
    });
  });

  it('resolves a posture finding whose cause cleared while the digest still runs; a signer change stays', () => {
    const pin: PinState = {
      name: 'acme',
      expected: ['release'],
      accepts: (s) => s.kind === 'Key' && s.fingerprint === 'sha256:k',
    };
    const key: VerifiedSigner = { kind: 'Key', fingerprint: 'sha256:k' };
    // Unverifiable until the pinned key was read: a PinViolation, cleared once it is KeySigned.
    const first = planRepository({ ...base, pin, inUse: [use(1, 'Unverifiable')] });
    expect(first.findings.map((f) => [f.kind, f.status.phase])).toEqual([['PinViolation', 'Open']]);
    const later = { ...base, pin, ...applied(first), now: at(5000) };
    expect(planRepository({ ...later, inUse: [use(1, 'Checking')] }).findings[0]?.status.phase).toBe('Open');
    expect(
      planRepository({ ...later, inUse: [use(1, 'KeySigned', [key])] }).findings[0]?.status,
    ).toMatchObject({ phase: 'Resolved', resolvedTime: '2026-11-01T00:00:05Z' });
    // A cold baseline widened by a new signer still shows the identity change while it runs.
    const cold = planRepository({ ...base, inUse: [use(1, 'Signed', [release])] }).baseline!;
    const changed = planRepository({ ...base, baseline: cold, inUse: [use(2, 'Signed', [mallory])] });
    const again = planRepository({
      ...base,
      ...applied(changed),
      inUse: [use(2, 'Signed', [mallory])],
      now: at(5000),
    });
    expect(again.findings.map((f) => [f.kind, f.status.phase])).toEqual([['IdentityChanged', 'Open']]);
  });

  it('after a start keeps the recorded last observation while it runs, unless a fresh digest is newer', () => {
    const first = planRepository({
      ...base,
      inUse: [use(1, 'Signed', [release]), use(2, 'Signed', [release])],
    });
    expect(first.baseline?.lastObserved?.digest).toBe(digest(2));
    const restarted = { ...base, baseline: first.baseline!, now: at(5000) };
    // After a start both are already in use, listed in whatever order they were observed again.
    const stale = [
      { ...use(2, 'Signed', [release]), fresh: false },
      { ...use(1, 'Signed', [release]), fresh: false },
    ];
    expect(planRepository({ ...restarted, inUse: stale }).baseline).toEqual(first.baseline);
    const fresh = { ...use(3, 'Signed', [release]), fresh: true };
    expect(planRepository({ ...restarted, inUse: [...stale, fresh] }).baseline?.lastObserved?.digest).toBe(
      digest(3),
    );
  });

  it('keeps a finding as it is while its digest is Checking, and Checking is never the last observation', () => {
    const baseline = established();
    const first = planRepository({ ...base, baseline, inUse: [use(2, 'Unsigned')] });
    const checking = planRepository({
      ...base,
      ...applied(first),
      inUse: [use(2, 'Checking')],
      now: at(5000),
    });
    expect(checking.findings.map((f) => f.status)).toEqual(first.findings.map((f) => f.status));
    expect(checking.baseline?.lastObserved).toEqual(first.baseline?.lastObserved);
  });

  it('lets a pin take precedence over a baseline: the learned signer is a PinViolation', () => {
    const pin: PinState = {
      name: 'acme',
      expected: ['mallory'],
      accepts: (s) => s.kind === 'Keyless' && s.identity === 'mallory@evil.example',
    };
    const plan = planRepository({
      ...base,
      baseline: established(),
      pin,
      inUse: [use(1, 'Signed', [release]), use(2, 'Checking')],
    });
    expect(plan.findings.map((f) => [f.kind, f.status.severity, f.subject])).toEqual([
      ['PinViolation', 'Critical', digest(1)],
      ['PinViolation', 'Critical', digest(2)],
    ]);
    const ok = planRepository({ ...base, pin, inUse: [use(3, 'Signed', [mallory])] });
    expect(ok.findings).toEqual([]);
    expect(ok.baseline).toBeUndefined();
  });

  it('reports a cold-baseline regression at low severity and widens with a new signer', () => {
    const cold = planRepository({ ...base, inUse: [use(1, 'Signed', [release])] }).baseline!;
    const plan = planRepository({
      ...base,
      baseline: cold,
      inUse: [use(2, 'Signed', [mallory])],
      now: at(1000),
    });
    expect(plan.findings).toMatchObject([
      { kind: 'IdentityChanged', status: { severity: 'Low', phase: 'Open' } },
    ]);
    expect(plan.baseline?.signers).toHaveLength(2);
  });
});
