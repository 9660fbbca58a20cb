import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../observability/metrics.ts';
import { WorkQueue } from './work-queue.ts';
import type { Reconcile } from './work-queue.ts';

/** Resolves once `predicate` holds, polling every few milliseconds, or fails after a deadline. */
async function until(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('WorkQueue', () => {
  let queue: WorkQueue;
  let running: Promise<void>;
  const start = (reconcile: Reconcile, workers = 2, baseMs = 5) => {
    queue = new WorkQueue({
      name: 'test',
      backoff: { baseMs, maxMs: 50 },
      metrics: createMetrics({ processMetrics: false }),
    });
    running = queue.run(workers, reconcile);
  };
  afterEach(async () => {
    queue.shutdown();
    await running;
  });

  it('processes a key added many times while queued once', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    start(async (key) => {
      if (key === 'blocker') await gate;
      seen.push(key);
    }, 1);
    queue.add('blocker');
    await until(() => queue.length === 0);
    for (let i = 0; i < 5; i++) queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.length).toBe(2);
    release();
    await until(() => seen.length === 3);
    expect(seen).toEqual(['blocker', 'a', 'b']);
  });

  it('never processes one key concurrently, and reprocesses a key added while in hand', async () => {
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    start(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      calls++;
      if (calls === 1) await gate;
      active--;
    }, 4);
    queue.add('k');
    await until(() => calls === 1);
    queue.add('k');
    queue.add('k');
    expect(queue.length).toBe(0);
    release();
    await until(() => calls === 2);
    expect(maxActive).toBe(1);
  });

  it('retries a failing key with backoff until it succeeds', async () => {
    const attempts: number[] = [];
    start(() => {
      attempts.push(Date.now());
      return attempts.length < 4 ? Promise.reject(new Error('transient')) : Promise.resolve();
    });
    queue.add('k');
    await until(() => attempts.length === 4);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps.every((gap) => gap >= 2)).toBe(true);
  });

  it('requeues after the delay a reconcile asks for', async () => {
    const times: number[] = [];
    start(() => {
      times.push(Date.now());
      return Promise.resolve(times.length === 1 ? { requeueAfterMs: 30 } : undefined);
    });
    queue.add('k');
    await until(() => times.length === 2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(25);
  });

  it('keeps the earliest of two delayed adds', async () => {
    const times: number[] = [];
    start(() => Promise.resolve(void times.push(Date.now())));
    const t0 = Date.now();
    queue.addAfter('k', 10_000);
    queue.addAfter('k', 10);
    await until(() => times.length === 1);
    expect(times[0]! - t0).toBeLessThan(5_000);
  });

  it('stops taking work on shutdown and lets run() resolve', async () => {
    const seen: string[] = [];
    start((key) => Promise.resolve(void seen.push(key)));
    queue.shutdown();
    await running;
    queue.add('late');
    expect(queue.length).toBe(0);
    expect(seen).toEqual([]);
  });
});
