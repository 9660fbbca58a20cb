// Bearer tokens per (registry, scope, credentials), kept until shortly before they expire, with a
// bound on the number kept. Concurrent requests for the same key share one token request.
export interface TokenCacheOptions {
  /** Tokens kept at most; the oldest is dropped first. */
  maxEntries?: number;
  /** Tokens are kept at most this long, whatever their lifetime. */
  maxTtlMs?: number;
  now?: () => number;
}

/** Tokens are dropped this long before they expire, so that one is not sent as it lapses. */
const EXPIRY_MARGIN_MS = 5_000;
/** The token spec's default lifetime when the response gives none. */
const DEFAULT_LIFETIME_S = 60;

export class TokenCache {
  private readonly entries = new Map<string, { token: string; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly maxEntries: number;
  private readonly maxTtlMs: number;
  private readonly now: () => number;

  constructor(options: TokenCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.maxTtlMs = options.maxTtlMs ?? 60 * 60 * 1000;
    this.now = options.now ?? Date.now;
  }

  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > this.now()) return entry.token;
    this.entries.delete(key);
    return undefined;
  }

  /** Keeps `token` for its lifetime (`expiresInSeconds`, default 60) less a margin; a token about to lapse is not kept. */
  set(key: string, token: string, expiresInSeconds: number = DEFAULT_LIFETIME_S): void {
    const ttl = Math.min(this.maxTtlMs, expiresInSeconds * 1000 - EXPIRY_MARGIN_MS);
    this.entries.delete(key);
    if (!(ttl > 0)) return;
    this.entries.set(key, { token, expiresAt: this.now() + ttl });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  /** Forgets the token of `key`; only if it is still `token`, when given (one a registry just refused). */
  delete(key: string, token?: string): void {
    if (token === undefined || this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  /** The cached token, or the one `fetchToken` gets; callers asking for the same key meanwhile share it. */
  async getOrFetch(
    key: string,
    fetchToken: () => Promise<{ token: string; expiresIn?: number }>,
  ): Promise<string> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = fetchToken()
        .then(({ token, expiresIn }) => {
          this.set(key, token, expiresIn);
          return token;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }
}
