import { describe, expect, it } from 'vitest';
import type { Observation } from '../core/observation.ts';
import { Observer } from './observer.ts';
import type { ObserveTarget } from './observer.ts';

const target = (n: number): ObserveTarget => ({
  repository: 'ghcr.io/acme/api',
  digest: `sha256:${String(n).padStart(64, '0')}`,
});
const observation = (t: ObserveTarget, posture: Observation['posture']): Observation => ({
  digest: t.digest,
  posture,
  signers: [],
});

describe('Observer', () => {
  it('judges a digest once for concurrent requests (single flight)', async () => {
    let judged = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const observer = new Observer({ ttlMs: 60_000, maxEntries: 100, concurrency: 4 });
    const judge = async (t: ObserveTarget) => {
      judged++;
      await gate;
      return observation(t, 'Unsigned');
    };
    const all = Promise.all(Array.from({ length: 10 }, () => observer.observe(target(1), judge)));
    release();
    expect((await all).every((o) => o.posture === 'Unsigned')).toBe(true);
    expect(judged).toBe(1);
  });

  it('caches resting postures until the TTL passes, counting hits', async () => {
    let now = 0;
    let judged = 0;
    let hits = 0;
    const judge = (t: ObserveTarget) => Promise.resolve((judged++, observation(t, 'Signed')));
    const observer = new Observer({
      ttlMs: 1000,
      maxEntries: 100,
      concurrency: 4,
      now: () => now,
      hooks: { cacheHit: () => hits++ },
    });
    await observer.observe(target(1), judge);
    await observer.observe(target(1), judge);
    expect([judged, hits]).toEqual([1, 1]);
    now = 1000;
    await observer.observe(target(1), judge);
    expect(judged).toBe(2);
  });

  it('judges forgotten digests again, and caches nothing judged before forget', async () => {
    let judged = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const observer = new Observer({ ttlMs: 60_000, maxEntries: 100, concurrency: 4 });
    await observer.observe(target(1), (t) => Promise.resolve((judged++, observation(t, 'Unverifiable'))));
    const stale = observer.observe(target(2), async (t) => {
      await gate;
      return observation(t, 'Unverifiable');
    });
    await observer.observe(target(3), (t) => Promise.resolve(observation(t, 'Signed')));
    observer.forget((o) => o.posture !== 'Signed');
    expect(observer.cached(target(1))).toBeUndefined();
    expect(observer.cached(target(3))?.posture).toBe('Signed');
    const fresh = (t: ObserveTarget) => Promise.resolve((judged++, observation(t, 'KeySigned')));
    expect((await observer.observe(target(2), fresh)).posture).toBe('KeySigned');
    release();
    expect((await stale).posture).toBe('Unverifiable');
    expect(observer.cached(target(2))?.posture).toBe('KeySigned');
    expect(judged).toBe(2);
  });

  it('never caches Checking', async () => {
    let judged = 0;
    const judge = (t: ObserveTarget) => Promise.resolve((judged++, observation(t, 'Checking')));
    const observer = new Observer({ ttlMs: 60_000, maxEntries: 100, concurrency: 4 });
    await observer.observe(target(1), judge);
    await observer.observe(target(1), judge);
    expect(judged).toBe(2);
    expect(observer.cached(target(1))).toBeUndefined();
  });

  it('runs at most `concurrency` judgements at once', async () => {
    let running = 0;
    let peak = 0;
    const judge = async (t: ObserveTarget) => {
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return observation(t, 'Unsigned');
    };
    const observer = new Observer({ ttlMs: 60_000, maxEntries: 100, concurrency: 3 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => observer.observe(target(i), judge)));
    expect(peak).toBe(3);
  });

  it('keeps memory bounded by evicting old digests', async () => {
    const judge = (t: ObserveTarget) => Promise.resolve(observation(t, 'Unsigned'));
    const observer = new Observer({ ttlMs: 60_000, maxEntries: 5, concurrency: 4 });
    for (let i = 0; i < 50; i++) await observer.observe(target(i), judge);
    expect(observer.cached(target(0))).toBeUndefined();
    expect(observer.cached(target(49))).toBeDefined();
  });
});
