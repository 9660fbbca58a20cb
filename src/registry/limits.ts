// Every bound the registry client keeps (DESIGN.md §7: every outbound call has a timeout and a
// response-size cap). All configurable; the defaults suit signature discovery.
export interface RegistryLimits {
  /** Longest wait for response headers, per request and per redirect hop (connect, TLS, server). */
  connectTimeoutMs: number;
  /** Longest a whole request may take: every redirect hop plus reading the body. */
  requestTimeoutMs: number;
  /** Cap on a manifest, an index, a referrers page or a tag-list page. */
  maxManifestBytes: number;
  /** Cap on a blob (signature bundles and payloads are small). */
  maxBlobBytes: number;
  /** Cap on a token endpoint's response. */
  maxTokenBytes: number;
  /** Redirects followed per request. */
  maxRedirects: number;
  /** Requests in flight per registry, the token requests for it included. */
  maxConcurrentPerRegistry: number;
  /** Retries of a request answered 429, or 503 with Retry-After, before giving up with RateLimited. */
  maxRetries: number;
  /** Longest wait before one retry; a Retry-After asking for longer is not waited for. */
  maxRetryWaitMs: number;
  /** First backoff when a 429 or 503 carries no Retry-After; doubles per retry. */
  retryBaseDelayMs: number;
  /** Pages of the referrers API followed through `Link` before giving up with TooLarge. */
  maxReferrersPages: number;
}

export const defaultRegistryLimits: Readonly<RegistryLimits> = Object.freeze({
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  maxManifestBytes: 4 * 1024 * 1024,
  maxBlobBytes: 16 * 1024 * 1024,
  maxTokenBytes: 256 * 1024,
  maxRedirects: 5,
  maxConcurrentPerRegistry: 16,
  maxRetries: 2,
  maxRetryWaitMs: 10_000,
  retryBaseDelayMs: 500,
  maxReferrersPages: 10,
});

/** The defaults with `overrides` applied; throws RangeError on a negative or non-integer value. */
export function resolveLimits(overrides: Partial<RegistryLimits> = {}): Readonly<RegistryLimits> {
  const limits = { ...defaultRegistryLimits };
  for (const key of Object.keys(defaultRegistryLimits) as (keyof RegistryLimits)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`registry limit ${key} must be a non-negative integer`);
    limits[key] = value;
  }
  if (limits.maxConcurrentPerRegistry < 1)
    throw new RangeError('registry limit maxConcurrentPerRegistry must be at least 1');
  return Object.freeze(limits);
}
