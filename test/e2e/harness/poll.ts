import { setTimeout as sleep } from 'node:timers/promises';

export type EventuallyOptions = {
  timeoutMs: number;
  intervalMs?: number;
  /** Stops retrying at once, rejecting with the signal's reason: e.g. when a process being waited on exits. */
  signal?: AbortSignal;
};

/**
 * Retries `fn` until it resolves without throwing and returns its result; after `timeoutMs` throws
 * the last failure. The way to wait for something asynchronous to become true, instead of sleeping.
 */
export async function eventually<T>(fn: () => T | Promise<T>, opts: EventuallyOptions): Promise<T> {
  const { timeoutMs, intervalMs = 250, signal } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    let remaining: number;
    try {
      return await fn();
    } catch (err) {
      remaining = deadline - Date.now();
      if (remaining <= 0) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`gave up after ${timeoutMs} ms: ${reason}`, { cause: err });
      }
    }
    // An abort rejects the sleep with a generic AbortError; rethrow the signal's own reason instead.
    await sleep(Math.min(intervalMs, remaining), undefined, { signal }).catch(() => signal?.throwIfAborted());
  }
}
