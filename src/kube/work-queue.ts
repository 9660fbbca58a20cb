// A keyed, de-duplicating work queue in the manner of client-go's: a key is queued at most once,
// a key being processed is never processed concurrently (an add meanwhile queues it again
// afterwards), failures are retried with per-key exponential backoff, and delayed adds keep the
// earliest deadline.
import { setImmediate } from 'node:timers/promises';
import type { BackoffPolicy } from './backoff.ts';
import { backoffDelay } from './backoff.ts';
import type { Metrics } from '../observability/metrics.ts';

export interface ReconcileResult {
  /** Reconcile this key again after this long (a timed requeue, e.g. for an age threshold). */
  requeueAfterMs?: number;
}
export type Reconcile = (key: string) => Promise<ReconcileResult | void>;

export interface WorkQueueOptions {
  name: string;
  backoff: BackoffPolicy;
  metrics: Metrics;
  onError?: (key: string, error: unknown, attempt: number) => void;
}

export class WorkQueue {
  private readonly options: WorkQueueOptions;
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private wake: (() => void)[] = [];
  private stopping = false;

  constructor(options: WorkQueueOptions) {
    this.options = options;
  }

  add(key: string): void {
    if (this.stopping || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.options.metrics.queueAdds.inc({ controller: this.options.name });
    if (!this.processing.has(key)) this.push(key);
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopping) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  get length(): number {
    return this.queue.length;
  }

  /** Runs `workers` loops until shutdown; resolves when all of them have finished their current key. */
  async run(workers: number, reconcile: Reconcile): Promise<void> {
    await Promise.all(Array.from({ length: workers }, () => this.worker(reconcile)));
  }

  /** Stops accepting keys, drops pending ones and lets workers finish the key in hand. */
  shutdown(): void {
    this.stopping = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.dirty.clear();
    this.setDepth();
    for (const wake of this.wake.splice(0)) wake();
  }

  private push(key: string): void {
    this.queue.push(key);
    this.setDepth();
    this.wake.shift()?.();
  }

  private setDepth(): void {
    this.options.metrics.queueDepth.set({ controller: this.options.name }, this.queue.length);
  }

  private async next(): Promise<string | undefined> {
    while (!this.stopping) {
      const key = this.queue.shift();
      if (key !== undefined) {
        this.setDepth();
        return key;
      }
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
    return undefined;
  }

  private async worker(reconcile: Reconcile): Promise<void> {
    const { name, metrics } = this.options;
    for (let key = await this.next(); key !== undefined; key = await this.next()) {
      this.dirty.delete(key);
      this.processing.add(key);
      const end = metrics.reconcileSeconds.startTimer({ controller: name });
      try {
        const result = await reconcile(key);
        metrics.reconciles.inc({ controller: name, result: 'success' });
        this.failures.delete(key);
        if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
      } catch (error) {
        metrics.reconciles.inc({ controller: name, result: 'error' });
        metrics.queueRetries.inc({ controller: name });
        const attempt = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, attempt);
        this.options.onError?.(key, error, attempt);
        this.addAfter(key, backoffDelay(this.options.backoff, attempt));
      } finally {
        end();
        this.processing.delete(key);
        if (this.dirty.has(key) && !this.stopping) this.push(key);
      }
      // A reconcile that writes nothing never awaits real I/O: yield between keys so that a burst
      // of thousands of keys cannot starve health checks, watches and registry replies.
      await setImmediate();
    }
  }
}
