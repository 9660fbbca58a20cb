// A request rate per registry host, for callers that must not hammer a registry however much work
// they have (the tag watcher): one token bucket per host, takers waiting their turn.
import { setTimeout as sleep } from 'node:timers/promises';
import { TokenBucket } from '../core/tag-watch/token-bucket.ts';

export class HostRateLimiter {
  private readonly ratePerSecond: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(ratePerSecond: number, now: () => number = Date.now) {
    this.ratePerSecond = ratePerSecond;
    this.now = now;
  }

  /** Waits until `host` may be sent `cost` more requests; rejects when `signal` aborts. */
  async acquire(host: string, signal?: AbortSignal, cost = 1): Promise<void> {
    const wait = this.bucket(host).reserve(this.now(), cost);
    if (wait > 0) await sleep(wait, undefined, { signal });
  }

  /** Counts `cost` requests already sent (their number known only afterwards): later takers wait for them. */
  charge(host: string, cost: number): void {
    if (cost > 0) this.bucket(host).reserve(this.now(), cost);
  }

  private bucket(host: string): TokenBucket {
    let bucket = this.buckets.get(host);
    if (!bucket) {
      // A burst of one second's worth: a short listing goes out at once, a long one at the rate.
      bucket = new TokenBucket(this.ratePerSecond, Math.max(1, this.ratePerSecond));
      this.buckets.set(host, bucket);
    }
    return bucket;
  }
}
