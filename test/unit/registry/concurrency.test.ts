import { describe, expect, it } from 'vitest';
import { KeyedLimiter } from '../../../src/registry/concurrency.ts';

/** A task that runs until released. */
function gate(): { task: () => Promise<void>; release: () => void; started: Promise<void> } {
  let release: () => void = () => undefined;
  let started: () => void = () => undefined;
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  const done = new Promise<void>((resolve) => (release = resolve));
  return {
    task: () => {
      started();
      return done;
    },
    release: () => release(),
    started: startedPromise,
  };
}

describe('KeyedLimiter', () => {
  it('runs at most `limit` tasks per key, others independently', async () => {
    const limiter = new KeyedLimiter(2);
    const gates = [gate(), gate(), gate()];
    const other = gate();
    const runs = gates.map((g) => limiter.run('a', g.task));
    const otherRun = limiter.run('b', other.task);
    await Promise.all([gates[0]?.started, gates[1]?.started, other.started]);
    expect(limiter.running('a')).toBe(2);
    expect(limiter.running('b')).toBe(1);
    gates[0]?.release();
    await gates[2]?.started; // the third starts once the first is done
    expect(limiter.running('a')).toBe(2);
    gates[1]?.release();
    gates[2]?.release();
    other.release();
    await Promise.all([...runs, otherRun]);
    expect(limiter.running('a')).toBe(0);
  });

  it('a waiter whose signal aborts leaves the queue with the reason', async () => {
    const limiter = new KeyedLimiter(1);
    const first = gate();
    const running = limiter.run('a', first.task);
    await first.started;
    const controller = new AbortController();
    const waiting = limiter.run('a', () => Promise.resolve('never'), controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    first.release();
    await running;
    expect(await limiter.run('a', () => Promise.resolve('next'))).toBe('next');
  });

  it('releases the slot when a task throws', async () => {
    const limiter = new KeyedLimiter(1);
    await expect(limiter.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limiter.running('a')).toBe(0);
  });
});
