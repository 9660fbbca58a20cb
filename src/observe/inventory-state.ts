// What the inventory last observed, per workload: the source of the postures gauge and, later, of
// the continuity layer's view of which workloads use which digest. Memory is bounded by the
// number of workloads and containers the cluster has.
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { POSTURES } from '../api/postures.ts';
import type { Posture } from '../api/postures.ts';
import type { ObservedImage } from '../controllers/inventory-controller.ts';
import type { Logger } from '../log/logger.ts';

export class InventoryState {
  private readonly byWorkload = new Map<string, ObservedImage[]>();
  private readonly lastPosture = new Map<string, Posture>();
  private readonly logger: Logger;

  constructor(logger: Logger, registry: Registry) {
    this.logger = logger;
    const counts = () => this.countByPosture();
    new Gauge({
      name: 'signwarden_image_postures',
      help: 'Distinct image digests in use (Pods and workload templates), by posture.',
      labelNames: ['posture'],
      registers: [registry],
      collect() {
        for (const [posture, count] of Object.entries(counts())) this.set({ posture }, count);
      },
    });
  }

  record(workload: string, images: ObservedImage[]): void {
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
    this.byWorkload.delete(workload);
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
