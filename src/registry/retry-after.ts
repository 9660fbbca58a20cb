// The Retry-After header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.

/** Milliseconds to wait, never negative; undefined when the header is absent or malformed. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^[0-9]+$/.test(value)) return Math.min(Number(value), 2 ** 31 / 1000) * 1000;
  if (!/^[A-Za-z]{3,9},? /.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
