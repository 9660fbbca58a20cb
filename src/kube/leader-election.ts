// Lease-based leader election (coordination.k8s.io/v1), following client-go's rules: a lease is
// taken over only after it went unrenewed for its full duration as observed on this process's own
// clock (so clock skew between replicas does not matter), and a leader that cannot renew within
// the renew deadline steps down. Releasing the lease on shutdown lets a follower take over at once.
import { CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.ts';
import { describeError, statusCode } from './api-error.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly options: LeaderElectionOptions;
  private readonly logger: Logger;
  private observed: { holder: string; renewTime: string; at: number } | undefined;
  private leading = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private tick: Promise<void> = Promise.resolve();

  constructor(kubeConfig: KubeConfig, options: LeaderElectionOptions, logger: Logger) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.options = options;
    this.logger = logger.child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops campaigning; a leader releases the lease so that a follower can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tick;
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity !== this.options.identity) return;
      // Times come back from the API as strings; send them back as the MicroTime the client serializes.
      const body: V1Lease = {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: undefined,
          leaseDurationSeconds: 1,
          acquireTime: lease.spec.acquireTime ? new V1MicroTime(lease.spec.acquireTime) : undefined,
          renewTime: new V1MicroTime(),
        },
      };
      await this.api.replaceNamespacedLease({
        namespace: this.options.namespace,
        name: this.options.name,
        body,
      });
      this.logger.info('released leadership');
    } catch (error) {
      this.logger.warn('could not release the lease; followers take over when it expires', {
        error: describeError(error),
      });
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick = this.tryAcquireOrRenew().finally(() => this.schedule(this.options.retryPeriodMs));
    }, delayMs);
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = Date.now();
    try {
      const lease = await this.read();
      if (this.stopped) return;
      if (!lease) {
        await this.api.createNamespacedLease({
          namespace: this.options.namespace,
          body: this.desired(undefined, now),
        });
        return this.renewed(now);
      }
      const holder = lease.spec?.holderIdentity ?? '';
      const renewTime = String(lease.spec?.renewTime ?? '');
      if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime) {
        this.observed = { holder, renewTime, at: now };
      }
      const durationMs = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
      const heldByOther = holder !== '' && holder !== this.options.identity;
      if (heldByOther && this.observed.at + durationMs > now) {
        // Someone else holds a live lease: if that is news to a leader, it lost the lease.
        if (this.leading) this.setLeading(false);
        return;
      }
      await this.api.replaceNamespacedLease({
        namespace: this.options.namespace,
        name: this.options.name,
        body: this.desired(lease, now),
      });
      this.renewed(now);
    } catch (error) {
      // 409: another replica won the race for this resourceVersion; anything else is transient.
      if (statusCode(error) !== 409) this.logger.warn('lease update failed', { error: describeError(error) });
      this.notRenewed(now);
    }
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({
        namespace: this.options.namespace,
        name: this.options.name,
      });
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  private desired(current: V1Lease | undefined, now: number): V1Lease {
    const takingOver = current?.spec?.holderIdentity !== this.options.identity;
    const stamp = new V1MicroTime(now);
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...current?.metadata, name: this.options.name, namespace: this.options.namespace },
      spec: {
        holderIdentity: this.options.identity,
        leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
        acquireTime:
          takingOver || !current?.spec?.acquireTime ? stamp : new V1MicroTime(current.spec.acquireTime),
        renewTime: stamp,
        leaseTransitions: (current?.spec?.leaseTransitions ?? 0) + (takingOver && current ? 1 : 0),
      },
    };
  }

  private renewed(now: number): void {
    this.lastRenew = now;
    this.setLeading(true);
  }

  private notRenewed(now: number): void {
    if (this.leading && now - this.lastRenew > this.options.renewDeadlineMs) {
      this.logger.warn('could not renew the lease within the renew deadline; stepping down');
      this.setLeading(false);
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.logger.info(leading ? 'became leader' : 'stopped leading');
    if (leading) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }
}
