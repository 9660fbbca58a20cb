// Observes digests at most once at a time and at most once per TTL: concurrent requests for the
// same digest share one judgement (single flight), resting postures are cached for a TTL (so
// signatures added later are noticed), `Checking` is never cached (the caller retries it with
// backoff), and a bounded number of judgements run at once.
import type { Observation } from '../core/observation.ts';
import { KeyedLimiter } from '../registry/concurrency.ts';
import { LruCache } from './lru-cache.ts';

/** One digest to judge, with the index it was pulled through, if any (multi-arch). */
export interface ObserveTarget {
  /** Canonical repository key, e.g. docker.io/library/nginx. */
  repository: string;
  digest: string;
  indexDigest?: string;
}

export interface ObserverHooks {
  cacheHit?: () => void;
  inFlight?: (count: number) => void;
}

export type Judge = (target: ObserveTarget) => Promise<Observation>;

export interface ObserverOptions {
  ttlMs: number;
  maxEntries: number;
  concurrency: number;
  hooks?: ObserverHooks;
  now?: () => number;
}

export const targetKey = (t: ObserveTarget): string =>
  `${t.repository}@${t.digest}${t.indexDigest ? `^${t.indexDigest}` : ''}`;

export class Observer {
  private readonly options: ObserverOptions;
  private readonly cache: LruCache<Observation>;
  private readonly inFlight = new Map<string, Promise<Observation>>();
  private readonly limiter: KeyedLimiter;
  /** Bumped by forget: a judgement started before it is not cached. */
  private generation = 0;

  constructor(options: ObserverOptions) {
    this.options = options;
    this.cache = new LruCache(options.maxEntries, options.now);
    this.limiter = new KeyedLimiter(options.concurrency);
  }

  /**
   * Forgets the cached postures that match, and the result of every judgement in progress: what
   * decides them changed (a pinned key was added or removed), so those digests are judged again.
   */
  forget(matches: (observation: Observation) => boolean): void {
    this.generation++;
    this.cache.deleteWhere(matches);
    this.inFlight.clear();
  }

  /** The cached resting observation of `target`, without judging. */
  cached(target: ObserveTarget): Observation | undefined {
    return this.cache.get(targetKey(target));
  }

  /**
   * The observation of `target`, judged by `judge` unless cached or already being judged. The
   * judge carries what differs between callers (registry credentials); the result does not depend
   * on it, except that failing credentials give Checking, which is never cached.
   */
  observe(target: ObserveTarget, judge: Judge): Promise<Observation> {
    const key = targetKey(target);
    const hit = this.cache.get(key);
    if (hit) {
      this.options.hooks?.cacheHit?.();
      return Promise.resolve(hit);
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const judged = this.limiter
      .run('judge', () => judge(target))
      .then((observation) => {
        if (observation.posture !== 'Checking' && generation === this.generation)
          this.cache.set(key, observation, this.options.ttlMs);
        return observation;
      })
      .finally(() => {
        if (this.inFlight.get(key) === judged) this.inFlight.delete(key);
        this.options.hooks?.inFlight?.(this.inFlight.size);
      });
    this.inFlight.set(key, judged);
    this.options.hooks?.inFlight?.(this.inFlight.size);
    return judged;
  }
}
