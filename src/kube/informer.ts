// An informer that survives: client-node's informers stop for good on a watch error, so this one
// restarts them with backoff, keeping the cache, and reports when the first list completed.
import { ListWatch, Watch } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { BackoffPolicy } from './backoff.ts';
import { backoffDelay } from './backoff.ts';
import { describeError } from './api-error.ts';

export interface InformerOptions<T extends KubernetesObject> {
  /** Name for logs and metrics, e.g. signingbaselines.signwarden.dev. */
  resource: string;
  /** Watch path, e.g. /apis/signwarden.dev/v1alpha1/signingbaselines. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  backoff: BackoffPolicy;
}

export type ChangeHandler<T> = (obj: T) => void;

export class ResilientInformer<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private readonly options: InformerOptions<T>;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private hasSynced = false;

  constructor(kubeConfig: KubeConfig, options: InformerOptions<T>, logger: Logger, metrics: Metrics) {
    this.options = options;
    this.logger = logger.child({ resource: options.resource });
    this.metrics = metrics;
    this.informer = new ListWatch<T>(
      options.path,
      new Watch(kubeConfig),
      options.list,
      false,
      options.labelSelector,
    );
    this.informer.on('error', (error: unknown) => this.restartLater(error));
    this.metrics.informerSynced.set({ resource: options.resource }, 0);
  }

  /** Calls `handler` for every added, updated or deleted object. */
  onChange(handler: ChangeHandler<T>): void {
    this.informer.on('change', handler);
  }

  get resource(): string {
    return this.options.resource;
  }

  get synced(): boolean {
    return this.hasSynced;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start();
    // start() also returns after a failed list (reported through 'error'); only a list that
    // succeeded leaves a resourceVersion behind.
    if (this.informer.latestResourceVersion() !== '') this.markSynced();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  private markSynced(): void {
    this.failures = 0;
    if (this.hasSynced) return;
    this.hasSynced = true;
    this.metrics.informerSynced.set({ resource: this.options.resource }, 1);
    this.logger.info('informer synced');
  }

  private restartLater(error: unknown): void {
    if (this.stopped) return;
    this.failures++;
    const delayMs = backoffDelay(this.options.backoff, this.failures);
    this.logger.warn('watch failed; restarting', { error: describeError(error), delayMs });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.metrics.informerRestarts.inc({ resource: this.options.resource });
      this.start().catch((e: unknown) => this.restartLater(e));
    }, delayMs);
    this.restartTimer.unref();
  }
}
