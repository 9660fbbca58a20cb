// Tag watcher: lists the tags of guarded repositories in their registries and judges the digests
// they name before anyone deploys them (DESIGN.md §5), so that a signed release is known verified
// on first use and an unsigned or differently signed push is a finding before it runs. Each tag is
// recorded in the inventory as a pseudo-workload `RegistryTag//<repository>:<tag>`, which the
// continuity controller plans from like any Pod. Bounded: pages, tags per repository, an interval,
// and a request rate per registry. A failure is retried with backoff and never becomes a verdict.
import { z } from 'zod';
import { parseImageReference } from '../core/image-reference.ts';
import type { ImageReference } from '../core/image-reference.ts';
import type { Observation } from '../core/observation.ts';
import { planTags } from '../core/tag-watch/tag-plan.ts';
import type { TagOutcome, TagRecord } from '../core/tag-watch/tag-plan.ts';
import { selectTags } from '../core/tag-watch/tag-selection.ts';
import { Controller } from '../kube/controller.ts';
import type { PullCredentials } from '../kube/pull-credentials.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { InventoryState } from '../observe/inventory-state.ts';
import { judgeDigest } from '../observe/judge-digest.ts';
import type { JudgeContext } from '../observe/judge-digest.ts';
import type { Observer } from '../observe/observer.ts';
import { HostRateLimiter } from '../registry/host-rate-limiter.ts';
import { RegistryError, checkingReasonOf } from '../registry/registry-error.ts';
import type { RegistryClient, ResolvedTag, TagsResult } from '../registry/registry-client.ts';
import { CheckingError } from './inventory-controller.ts';

export const tagWatchOptionsSchema = z.object({
  /** How long after a listing a repository is listed again. */
  intervalMs: z.number().int().positive(),
  /** Tags asked for per page of a listing. */
  pageSize: z.number().int().positive().max(10_000),
  /** Pages read per listing at most. */
  maxPages: z.number().int().positive(),
  /** Tags followed per repository at most (see selectTags for which). */
  maxTagsPerRepository: z.number().int().positive(),
  /** Requests the watcher sends one registry per second (a judgement of a new digest counts as one). */
  requestsPerSecondPerRegistry: z.number().positive().finite(),
});
export type TagWatchOptions = z.infer<typeof tagWatchOptionsSchema>;

export const DEFAULT_TAG_WATCH_OPTIONS: Readonly<TagWatchOptions> = Object.freeze({
  intervalMs: 5 * 60_000,
  pageSize: 100,
  maxPages: 10,
  maxTagsPerRepository: 200,
  requestsPerSecondPerRegistry: 5,
});

export const REGISTRY_TAG_KIND = 'RegistryTag';

/** The inventory's key for a tag of a repository: kind RegistryTag, no namespace, name repository:tag. */
export const registryTagWorkload = (repository: string, tag: string): string =>
  `${REGISTRY_TAG_KIND}//${repository}:${tag}`;

/** What asking the registry for one tag gave. */
type Resolution =
  { kind: 'Resolved'; resolved: ResolvedTag } | Extract<TagOutcome, { kind: 'Gone' | 'Unknown' }>;

export interface TagWatcherDeps {
  registry: RegistryClient;
  observer: Observer;
  credentials: PullCredentials;
  judgeContext: Omit<JudgeContext, 'registry'>;
  inventory: InventoryState;
  metrics: Metrics;
  logger: Logger;
  options: TagWatchOptions;
}

export interface TagWatcher extends Controller {
  /** The repositories (canonical keys) to watch: new ones are listed at once, those left are forgotten. */
  setGuarded(repositories: Iterable<string>): void;
  /** The followed tags of `repository` and the digest each names, by tag; only tags whose digest was judged. */
  tagsOf(repository: string): { tag: string; digest: string }[];
  /** Whether each of `repositories` has been listed (or failed to be) since the start. */
  visited(repositories: Iterable<string>): boolean;
}

export function tagWatcher(deps: TagWatcherDeps): TagWatcher {
  const options = tagWatchOptionsSchema.parse(deps.options);
  const { inventory, metrics, logger } = deps;
  const limiter = new HostRateLimiter(options.requestsPerSecondPerRegistry);
  let guarded = new Set<string>();
  /** Per repository, the tags recorded in the inventory. */
  const watched = new Map<string, Map<string, TagRecord>>();
  /** Repositories whose listing was last cut short, so the warning is logged once, not every interval. */
  const truncated = new Set<string>();
  let aborter = new AbortController();
  /** Repositories listed, or tried, since the start: what was published before can be rebuilt. */
  const visited = new Set<string>();

  const updateGauge = () =>
    metrics.tagsWatched.set([...watched.values()].reduce((sum, tags) => sum + tags.size, 0));

  const forget = (repository: string) => {
    for (const tag of watched.get(repository)?.keys() ?? [])
      inventory.remove(registryTagWorkload(repository, tag));
    watched.delete(repository);
    truncated.delete(repository);
    updateGauge();
  };

  const record = (repository: string, tag: string, { observation }: TagRecord) =>
    inventory.record(registryTagWorkload(repository, tag), [
      {
        workload: registryTagWorkload(repository, tag),
        use: { container: '', kind: 'container', image: `${repository}:${tag}` },
        repository,
        observation,
      },
    ]);

  const list = async (client: RegistryClient, ref: ImageReference, signal: AbortSignal) => {
    await limiter.acquire(ref.registry, signal);
    let listing: TagsResult;
    try {
      listing = await client.listTags(ref, {
        pageSize: options.pageSize,
        maxPages: options.maxPages,
        signal,
      });
    } catch (error) {
      // A repository the registry does not have has no tags: nothing of it can be pulled.
      if (error instanceof RegistryError && error.kind === 'NotFound') {
        metrics.tagListings.inc({ result: 'NotFound' });
        return { tags: [], truncated: false };
      }
      metrics.tagListings.inc({ result: checkingReasonOf(error) ?? 'RegistryError' });
      throw error;
    }
    metrics.tagListings.inc({ result: 'Listed' });
    // The pages after the first, known only now, count against the registry's rate too.
    const pages = listing.truncated
      ? options.maxPages
      : Math.max(1, Math.ceil(listing.tags.length / options.pageSize));
    limiter.charge(ref.registry, pages - 1);
    return listing;
  };

  /** Resolves the tags in order; stops at the first failure the registry may recover from. */
  const resolve = async (
    client: RegistryClient,
    ref: ImageReference,
    tags: readonly string[],
    signal: AbortSignal,
  ): Promise<Map<string, Resolution>> => {
    const resolutions = new Map<string, Resolution>();
    for (const tag of tags) {
      await limiter.acquire(ref.registry, signal);
      try {
        resolutions.set(tag, { kind: 'Resolved', resolved: await client.resolveTag(ref, tag, { signal }) });
      } catch (error) {
        if (!(error instanceof RegistryError)) throw error;
        if (error.kind === 'NotFound') resolutions.set(tag, { kind: 'Gone' });
        else resolutions.set(tag, { kind: 'Unknown', reason: error.message });
        // Unreachable, timing out, refusing: the next tag would fail alike and wait for the retry.
        if (checkingReasonOf(error)) break;
      }
    }
    return resolutions;
  };

  /** Judges each distinct digest through the observer (a cached posture costs no request). */
  const judge = async (
    client: RegistryClient,
    ref: ImageReference,
    resolved: ResolvedTag[],
    signal: AbortSignal,
  ): Promise<Map<string, Observation>> => {
    const distinct = new Map(resolved.map((r) => [r.digest, r]));
    const observations = new Map<string, Observation>();
    await Promise.all(
      [...distinct.values()].map(async ({ digest, mediaType }) => {
        const target = { repository: ref.canonical, digest };
        if (!deps.observer.cached(target)) await limiter.acquire(ref.registry, signal);
        try {
          observations.set(
            digest,
            await deps.observer.observe(target, (t) => {
              const end = metrics.verificationSeconds.startTimer();
              return judgeDigest(
                { ...deps.judgeContext, registry: client },
                {
                  registry: ref.registry,
                  repository: ref.repository,
                  digest: t.digest,
                  ...(mediaType ? { mediaType } : {}),
                },
              ).finally(end);
            }),
          );
        } catch (error) {
          // Not a registry failure (those are Checking): the tags naming it stay pending.
          logger.warn('digest could not be judged', { repository: ref.canonical, digest, error });
        }
      }),
    );
    return observations;
  };

  const reconcile = async (repository: string) => {
    if (!guarded.has(repository)) return forget(repository);
    const ref = parseImageReference(repository);
    if ('error' in ref || ref.canonical !== repository || ref.tag !== undefined || ref.digest !== undefined) {
      logger.warn('not a canonical repository key: not watched', { repository: repository.slice(0, 300) });
      return forget(repository);
    }
    const { signal } = aborter;
    const client = deps.registry.withCredentials(await deps.credentials.forOperator());

    const listing = await list(client, ref, signal);
    const selection = selectTags(listing.tags, options.maxTagsPerRepository);
    if (listing.truncated) metrics.tagListingsTruncated.inc({ reason: 'pages' });
    if (selection.skipped > 0) metrics.tagListingsTruncated.inc({ reason: 'cap' });
    const cut = listing.truncated || selection.skipped > 0;
    if (cut && !truncated.has(repository))
      logger.warn('tag listing truncated: only some tags are watched', {
        repository,
        listed: listing.tags.length,
        morePages: listing.truncated,
        watched: selection.tags.length,
        skipped: selection.skipped,
      });
    if (cut) truncated.add(repository);
    else truncated.delete(repository);

    const resolutions = await resolve(client, ref, selection.tags, signal);
    const resolved = [...resolutions.values()].flatMap((r) => (r.kind === 'Resolved' ? [r.resolved] : []));
    const observations = await judge(client, ref, resolved, signal);
    const outcomes = new Map<string, TagOutcome>(
      [...resolutions].map(([tag, r]): [string, TagOutcome] => {
        if (r.kind !== 'Resolved') return [tag, r];
        const observation = observations.get(r.resolved.digest);
        return [tag, { kind: 'Named', digest: r.resolved.digest, ...(observation ? { observation } : {}) }];
      }),
    );

    // The repository may have left the guarded set while the registry was being asked.
    if (!guarded.has(repository)) return forget(repository);
    const previous = watched.get(repository) ?? new Map<string, TagRecord>();
    const plan = planTags(previous, selection.tags, outcomes);
    for (const tag of plan.removed) inventory.remove(registryTagWorkload(repository, tag));
    for (const [tag, entry] of plan.records) {
      const before = previous.get(tag)?.digest;
      if (before !== undefined && before !== entry.digest)
        logger.info('tag moved', { repository, tag, from: before, to: entry.digest });
      record(repository, tag, entry);
    }
    watched.set(repository, plan.records);
    updateGauge();
    if (plan.pending.length > 0)
      throw new CheckingError(`not yet known, retrying: ${plan.pending.join('; ').slice(0, 500)}`);
    return { requeueAfterMs: options.intervalMs };
  };

  class Watcher extends Controller implements TagWatcher {
    override start(startOptions: Parameters<Controller['start']>[0]): void {
      aborter = new AbortController();
      visited.clear();
      super.start(startOptions);
      for (const repository of guarded) this.enqueue(repository);
    }

    override async stop(): Promise<void> {
      // Waits on the rate limiter and registry requests in progress would otherwise delay shutdown.
      aborter.abort(new Error('tag watcher stopping'));
      await super.stop();
    }

    setGuarded(repositories: Iterable<string>): void {
      const before = guarded;
      guarded = new Set(repositories);
      for (const repository of before) if (!guarded.has(repository)) forget(repository);
      for (const repository of guarded) if (!before.has(repository)) this.enqueue(repository);
    }

    visited(repositories: Iterable<string>): boolean {
      for (const repository of repositories) if (!visited.has(repository)) return false;
      return true;
    }

    tagsOf(repository: string): { tag: string; digest: string }[] {
      return [...(watched.get(repository) ?? [])]
        .map(([tag, { digest }]) => ({ tag, digest }))
        .sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
    }
  }

  return new Watcher('tag-watch', async (repository) => {
    try {
      return await reconcile(repository);
    } catch (error) {
      // Stopping aborted the pass: nothing to retry, nothing to report.
      if (aborter.signal.aborted) return;
      throw error;
    } finally {
      visited.add(repository);
    }
  });
}
