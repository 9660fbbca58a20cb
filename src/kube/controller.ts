// A controller: a named reconcile function fed by informers through a work queue. Informers run on
// every replica (followers stay warm); the queue and its workers run only while this replica leads,
// and every known key is enqueued when leadership starts.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { BackoffPolicy } from './backoff.ts';
import type { ResilientInformer } from './informer.ts';
import type { Reconcile } from './work-queue.ts';
import { WorkQueue } from './work-queue.ts';
import { describeError } from './api-error.ts';

interface Source {
  informer: ResilientInformer<KubernetesObject>;
  keysOf: (obj: KubernetesObject) => string[];
}

export class Controller {
  readonly name: string;
  private readonly reconcile: Reconcile;
  private readonly sources: Source[] = [];
  private readonly alwaysKeys: string[] = [];
  private queue: WorkQueue | undefined;
  private running: Promise<void> | undefined;

  constructor(name: string, reconcile: Reconcile) {
    this.name = name;
    this.reconcile = reconcile;
  }

  /** Reconciles the keys `keysOf` maps each changed object of `informer` to. */
  watch<T extends KubernetesObject>(informer: ResilientInformer<T>, keysOf: (obj: T) => string[]): this {
    const source = { informer, keysOf } as unknown as Source;
    this.sources.push(source);
    informer.onChange((obj) => {
      for (const key of keysOf(obj)) this.queue?.add(key);
    });
    return this;
  }

  /** Reconciles `key` on every start, whatever the informers hold (e.g. objects yet to create). */
  always(key: string): this {
    this.alwaysKeys.push(key);
    return this;
  }

  /** Queues `key` (from a source other than an informer); ignored while not leading. */
  enqueue(key: string): void {
    this.queue?.add(key);
  }

  start(options: { workers: number; backoff: BackoffPolicy; metrics: Metrics; logger: Logger }): void {
    const logger = options.logger.child({ controller: this.name });
    const queue = new WorkQueue({
      name: this.name,
      backoff: options.backoff,
      metrics: options.metrics,
      onError: (key, error, attempt) =>
        logger.warn('reconcile failed; retrying', { key, attempt, error: describeError(error) }),
    });
    this.queue = queue;
    for (const { informer, keysOf } of this.sources)
      for (const obj of informer.list()) for (const key of keysOf(obj)) queue.add(key);
    for (const key of this.alwaysKeys) queue.add(key);
    this.running = queue.run(options.workers, this.reconcile);
  }

  /** Stops taking work and waits for reconciles in progress. */
  async stop(): Promise<void> {
    this.queue?.shutdown();
    this.queue = undefined;
    await this.running;
  }
}
