// A token bucket with an explicit clock: `ratePerSecond` tokens a second, at most `burst` saved up.
// Takers may go into debt, so concurrent takers queue in order without polling: each is told how
// long to wait before its turn.
export class TokenBucket {
  private readonly ratePerSecond: number;
  private readonly burst: number;
  private tokens: number;
  private updatedAt: number | undefined;

  constructor(ratePerSecond: number, burst: number) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond))
      throw new RangeError('ratePerSecond must be a positive number');
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError('burst must be at least 1');
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.tokens = burst;
  }

  /** Takes `cost` tokens at `nowMs`; how many milliseconds the taker must wait before acting. */
  reserve(nowMs: number, cost = 1): number {
    // A clock that steps back refills nothing rather than draining the bucket.
    const elapsed = this.updatedAt === undefined ? 0 : Math.max(0, nowMs - this.updatedAt);
    this.updatedAt = Math.max(nowMs, this.updatedAt ?? nowMs);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000) - cost;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
  }
}
