// What the inventory last observed, per workload and per repository: the source of the postures
// gauge and of the continuity layer's view of which workloads use which digest. Memory is bounded
// by the number of workloads and containers the cluster has.
import { isDeepStrictEqual } from 'node:util';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { POSTURES } from '../api/postures.ts';
import type { Posture } from '../api/postures.ts';
import type { ObservedImage } from '../controllers/inventory-controller.ts';
import type { DigestInUse } from '../core/continuity/repository-plan.ts';
import { parseImageReference } from '../core/image-reference.ts';
import type { WorkloadRef } from '../core/continuity/finding-status.ts';
import type { Logger } from '../log/logger.ts';

export class InventoryState {
  private readonly byWorkload = new Map<string, ObservedImage[]>();
  private readonly byRepository = new Map<string, Map<string, ObservedImage[]>>();
  /** When each repository@digest was first seen in use, so "the newest digest" is stable. */
  private readonly firstSeen = new Map<string, number>();
  private sequence = 0;
  private readonly lastPosture = new Map<string, Posture>();
  private readonly listeners: ((repository: string) => void)[] = [];
  private readonly setListeners: (() => void)[] = [];
  private complete = false;
  /** The firstSeen sequence when the view became complete: digests after it are fresh. */
  private completedAt = Infinity;
  private readonly logger: Logger;

  constructor(logger: Logger, registry: Registry) {
    this.logger = logger;
    const counts = () => this.countByPosture();
    new Gauge({
      name: 'signwarden_image_postures',
      help: 'Distinct image digests in use (Pods, workload templates and watched registry tags), by posture.',
      labelNames: ['posture'],
      registers: [registry],
      collect() {
        for (const [posture, count] of Object.entries(counts())) this.set({ posture }, count);
      },
    });
  }

  /** Calls `listener` with each repository whose images in use changed. */
  onChange(listener: (repository: string) => void): void {
    this.listeners.push(listener);
  }

  /** Calls `listener` when a repository comes into use or goes out of use. */
  onRepositoriesChange(listener: () => void): void {
    this.setListeners.push(listener);
  }

  record(workload: string, images: ObservedImage[]): void {
    this.update(workload, images);
    this.byWorkload.set(workload, images);
    for (const image of images) {
      const key = `${image.repository}@${image.observation.digest}`;
      const posture = image.observation.posture;
      if (this.lastPosture.get(key) === posture) continue;
      this.lastPosture.set(key, posture);
      this.logger.info('observed', {
        repository: image.repository,
        digest: image.observation.digest,
        posture,
        signers: image.observation.signers,
        location: image.observation.location,
        checkingReason: image.observation.checkingReason,
        detail: image.observation.detail,
      });
    }
  }

  remove(workload: string): void {
    this.update(workload, []);
    this.byWorkload.delete(workload);
  }

  has(workload: string): boolean {
    return this.byWorkload.has(workload);
  }

  /**
   * Whether the view is complete: every workload the informers list has been observed once. Until
   * then, a digest missing from the view proves nothing (the inventory is still filling after a
   * start). Once true it stays true: later workloads are observed as they come.
   */
  completeFor(workloads: () => Iterable<string>): boolean {
    if (!this.complete) {
      this.complete = [...workloads()].every((w) => this.byWorkload.has(w));
      if (this.complete) this.completedAt = this.sequence;
    }
    return this.complete;
  }

  repositories(): Iterable<string> {
    return this.byRepository.keys();
  }

  /** The digests of `repository` in use, oldest first, with their observation and workloads. */
  uses(repository: string): DigestInUse[] {
    const digests = new Map<
      string,
      { observation: ObservedImage['observation']; workloads: WorkloadRef[] }
    >();
    for (const [workload, images] of this.byRepository.get(repository) ?? []) {
      // Only the first two slashes separate: a registry tag's name (repository:tag) has slashes.
      const [kind = '', namespace = '', ...rest] = workload.split('/');
      const name = rest.join('/');
      for (const { observation } of images) {
        const entry = digests.get(observation.digest);
        // A resting observation says more than Checking (e.g. one workload lacking pull credentials).
        if (!entry) digests.set(observation.digest, { observation, workloads: [{ kind, namespace, name }] });
        else {
          if (entry.observation.posture === 'Checking') entry.observation = observation;
          if (!entry.workloads.some((w) => w.kind === kind && w.namespace === namespace && w.name === name))
            entry.workloads.push({ kind, namespace, name });
        }
      }
    }
    const order = (digest: string) => this.firstSeen.get(`${repository}@${digest}`) ?? 0;
    return [...digests.values()]
      .sort((a, b) => order(a.observation.digest) - order(b.observation.digest))
      .map((d) => ({ ...d, fresh: order(d.observation.digest) > this.completedAt }));
  }

  /** Tags the workloads of `repository` name, and the digest each resolved to when observed. */
  tagsOf(repository: string): { tag: string; digest: string }[] {
    const tags = new Map<string, string>();
    for (const images of this.byRepository.get(repository)?.values() ?? [])
      for (const { use, observation } of images) {
        const ref = parseImageReference(use.image);
        // A reference with a digest is admitted by its digest; without a tag it means latest.
        if ('error' in ref || ref.digest) continue;
        tags.set(ref.tag ?? 'latest', observation.digest);
      }
    return [...tags].map(([tag, digest]) => ({ tag, digest }));
  }

  private update(workload: string, images: ObservedImage[]): void {
    const before = this.byWorkload.get(workload) ?? [];
    const repositories = new Set([...before, ...images].map((i) => i.repository));
    for (const repository of repositories) {
      const old = before.filter((i) => i.repository === repository);
      const now = images.filter((i) => i.repository === repository);
      const known = this.byRepository.has(repository);
      const entries = this.byRepository.get(repository) ?? new Map<string, ObservedImage[]>();
      if (now.length > 0) entries.set(workload, now);
      else entries.delete(workload);
      if (entries.size > 0) this.byRepository.set(repository, entries);
      else this.byRepository.delete(repository);
      if (known !== entries.size > 0) for (const listener of this.setListeners) listener();
      for (const i of now) {
        const key = `${repository}@${i.observation.digest}`;
        if (!this.firstSeen.has(key)) this.firstSeen.set(key, ++this.sequence);
      }
      // Forget when digests nothing uses any more were first seen.
      const inUse = new Set([...entries.values()].flat().map((i) => i.observation.digest));
      for (const i of old)
        if (!inUse.has(i.observation.digest)) this.firstSeen.delete(`${repository}@${i.observation.digest}`);
      const seen = (list: ObservedImage[]) => list.map((i) => [i.use.image, i.observation]);
      if (!isDeepStrictEqual(seen(old), seen(now)))
        for (const listener of this.listeners) listener(repository);
    }
  }

  /** Distinct digests in use, by posture. */
  countByPosture(): Record<Posture, number> {
    const seen = new Map<string, Posture>();
    for (const images of this.byWorkload.values())
      for (const i of images) seen.set(`${i.repository}@${i.observation.digest}`, i.observation.posture);
    const counts = Object.fromEntries(POSTURES.map((p) => [p, 0])) as Record<Posture, number>;
    for (const posture of seen.values()) counts[posture]++;
    // Forget postures of digests nothing uses any more, so a later return is logged again.
    for (const key of this.lastPosture.keys()) if (!seen.has(key)) this.lastPosture.delete(key);
    return counts;
  }
}
