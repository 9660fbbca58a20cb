import { describe, expect, it } from 'vitest';
import { HostRateLimiter } from './host-rate-limiter.ts';

describe('HostRateLimiter', () => {
  it('lets a burst through at once and keeps hosts apart', async () => {
    const limiter = new HostRateLimiter(2, () => 0);
    await limiter.acquire('a.example');
    await limiter.acquire('a.example');
    await limiter.acquire('b.example');
  });

  it('makes a taker beyond the rate wait, until aborted', async () => {
    const limiter = new HostRateLimiter(1, () => 0);
    limiter.charge('a.example', 5);
    const controller = new AbortController();
    const waiting = limiter.acquire('a.example', controller.signal);
    controller.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow();
  });
});
