// Which registries serve the OCI referrers API, as learnt from their answers. Most registries today
// do not: a registry found without it is read through the referrers tag for a while (one request
// saved per digest; a registry upgraded meanwhile is asked again after that). While nobody knows
// yet, the first request is the probe and concurrent ones wait for its answer, instead of every
// judgement that starts at once probing the same registry.

/** Read the referrers tag straight away; ask the API; or ask it as the probe, calling `done` after. */
export type ReferrersRoute = 'tag' | 'api' | { probe: () => void };

export class ReferrersSupport {
  private readonly memoMs: number;
  private readonly now: () => number;
  /** Origins without the API, until when. */
  private readonly absentUntil = new Map<string, number>();
  /** Origins that answered the API. */
  private readonly serving = new Set<string>();
  private readonly probes = new Map<string, Promise<void>>();

  constructor(memoMs: number, now: () => number = Date.now) {
    this.memoMs = memoMs;
    this.now = now;
  }

  /**
   * How to read the referrers of a digest on `origin`, once a probe in flight has its answer. A
   * probe that got none (a timeout, say) leaves the waiters to ask on their own, all at once, as
   * they would have without it: never one after another.
   */
  async route(origin: string): Promise<ReferrersRoute> {
    const pending = this.probes.get(origin);
    if (pending !== undefined) await pending;
    if ((this.absentUntil.get(origin) ?? 0) > this.now()) return 'tag';
    if (pending !== undefined || this.serving.has(origin)) return 'api';
    let done!: () => void;
    this.probes.set(
      origin,
      new Promise<void>((resolve) => {
        done = resolve;
      }),
    );
    return {
      probe: () => {
        this.probes.delete(origin);
        done();
      },
    };
  }

  /** The registry answered a request for the API. */
  served(origin: string): void {
    this.serving.add(origin);
    this.absentUntil.delete(origin);
  }

  /** The registry answered a request for the API as one without it. */
  absent(origin: string): void {
    this.serving.delete(origin);
    this.absentUntil.set(origin, this.now() + this.memoMs);
  }
}
