// A per-key limit on work in flight (requests per registry): a small counting semaphore per key,
// forgotten when idle so that a stream of distinct registries does not grow the map.
interface Slot {
  running: number;
  waiting: (() => void)[];
}

export class KeyedLimiter {
  private readonly limit: number;
  private readonly slots = new Map<string, Slot>();

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    this.limit = limit;
  }

  /** Runs `task` once fewer than `limit` tasks of `key` run; waiting ends early, with its reason, if `signal` aborts. */
  async run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(key, signal);
    try {
      return await task();
    } finally {
      this.release(key);
    }
  }

  /** Tasks of `key` running now (for tests and metrics). */
  running(key: string): number {
    return this.slots.get(key)?.running ?? 0;
  }

  private async acquire(key: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { running: 0, waiting: [] };
      this.slots.set(key, slot);
    }
    if (slot.running < this.limit) {
      slot.running++;
      return;
    }
    const queued = slot;
    await new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = (): void => {
        const at = queued.waiting.indexOf(wake);
        if (at >= 0) queued.waiting.splice(at, 1);
        // the caller's own abort reason, whatever it is, as fetch and timers do
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(signal?.reason);
      };
      queued.waiting.push(wake);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  private release(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    const next = slot.waiting.shift();
    if (next) {
      next(); // the slot passes to the next waiter: running stays the same
      return;
    }
    slot.running--;
    if (slot.running === 0) this.slots.delete(key);
  }
}
