// Inventory: for every Pod and workload template, which digests it runs or is about to run, and
// their observed postures. Tags are resolved to digests; a Pod's pulled digest (status imageID)
// is judged together with the index its spec named (multi-arch); each distinct digest is judged
// once (the Observer's cache and single flight). Checking results are retried with backoff.
import type { KubernetesObject, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { parseImageId, parseImageReference } from '../core/image-reference.ts';
import type { ImageReference } from '../core/image-reference.ts';
import type { Observation } from '../core/observation.ts';
import { podImages, podSpecImages, workloadPodSpec } from '../core/workload-images.ts';
import type { ImageUse } from '../core/workload-images.ts';
import { Controller } from '../kube/controller.ts';
import type { ResilientInformer } from '../kube/informer.ts';
import type { PullCredentials } from '../kube/pull-credentials.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { judgeDigest } from '../observe/judge-digest.ts';
import type { JudgeContext } from '../observe/judge-digest.ts';
import { LruCache } from '../observe/lru-cache.ts';
import type { Observer } from '../observe/observer.ts';
import type { RegistryClient, ResolvedTag } from '../registry/registry-client.ts';
import type { InventoryKind } from './inventory-informers.ts';
import { workloadKey } from './inventory-informers.ts';

/** Tags move: a resolution is reused this long. */
const TAG_TTL_MS = 60_000;

export interface ObservedImage {
  /** kind/namespace/name of the Pod or workload. */
  workload: string;
  use: ImageUse;
  repository: string;
  observation: Observation;
}

export interface InventoryDeps {
  informers: Map<InventoryKind, ResilientInformer<KubernetesObject>>;
  observer: Observer;
  registry: RegistryClient;
  credentials: PullCredentials;
  judgeContext: Omit<JudgeContext, 'registry'>;
  metrics: Metrics;
  logger: Logger;
  /** Where observations go next (the continuity layer). */
  onObserved: (workload: string, images: ObservedImage[]) => void;
  onRemoved: (workload: string) => void;
}

export class CheckingError extends Error {}

export function inventoryController(deps: InventoryDeps): Controller {
  const tags = new LruCache<Promise<ResolvedTag>>(4096);

  const resolveTag = (client: RegistryClient, ref: ImageReference, tag: string): Promise<ResolvedTag> => {
    const key = `${ref.canonical}:${tag}`;
    let resolved = tags.get(key);
    if (!resolved) {
      resolved = client.resolveTag({ registry: ref.registry, repository: ref.repository }, tag);
      resolved.catch(() => tags.delete(key));
      tags.set(key, resolved, TAG_TTL_MS);
    }
    return resolved;
  };

  const observeUse = async (
    client: RegistryClient,
    use: ImageUse,
  ): Promise<ObservedImage['observation'] | undefined> => {
    const ref = parseImageReference(use.image);
    if ('error' in ref) {
      deps.metrics.imageReferenceErrors.inc();
      deps.logger.warn('image reference cannot be parsed', {
        image: use.image.slice(0, 300),
        error: ref.error,
      });
      return undefined;
    }
    // A tag's resolution also says image or index, which saves the judge a manifest request.
    const resolved: ResolvedTag = ref.digest
      ? { digest: ref.digest }
      : await resolveTag(client, ref, ref.tag ?? 'latest');
    const named = resolved.digest;
    const pulled = use.imageID ? parseImageId(use.imageID) : undefined;
    const pulledDigest =
      pulled && !('error' in pulled) && pulled.repository === ref.canonical ? pulled.digest : undefined;
    const target =
      pulledDigest && pulledDigest !== named
        ? { repository: ref.canonical, digest: pulledDigest, indexDigest: named }
        : { repository: ref.canonical, digest: named };
    const end = deps.metrics.verificationSeconds.startTimer();
    return deps.observer.observe(target, (t) =>
      judgeDigest(
        { ...deps.judgeContext, registry: client },
        {
          registry: ref.registry,
          repository: ref.repository,
          digest: t.digest,
          ...(t.indexDigest ? { indexDigest: t.indexDigest } : {}),
          ...(t.digest === named && resolved.mediaType ? { mediaType: resolved.mediaType } : {}),
        },
      ).finally(end),
    );
  };

  const reconcile = async (key: string) => {
    const [kind, namespace, name] = key.split('/') as [InventoryKind, string, string];
    const obj = deps.informers.get(kind)?.get(name, namespace);
    if (!obj) return deps.onRemoved(key);
    const spec: V1PodSpec | undefined =
      kind === 'Pod'
        ? (obj as V1Pod).spec
        : workloadPodSpec(kind, obj as Parameters<typeof workloadPodSpec>[1]);
    const uses = kind === 'Pod' ? podImages(obj) : podSpecImages(spec);
    const client = deps.registry.withCredentials(await deps.credentials.forPod(namespace, spec));
    const images: ObservedImage[] = [];
    const problems: string[] = [];
    await Promise.all(
      uses.map(async (use) => {
        try {
          const observation = await observeUse(client, use);
          if (!observation) return;
          const repository = (parseImageReference(use.image) as ImageReference).canonical;
          images.push({ workload: key, use, repository, observation });
          if (observation.posture === 'Checking')
            problems.push(`${use.image}: ${observation.checkingReason}`);
        } catch (error) {
          problems.push(`${use.image}: ${(error as Error).message}`);
        }
      }),
    );
    deps.onObserved(key, images);
    if (problems.length > 0)
      throw new CheckingError(`not yet known, retrying: ${problems.join('; ').slice(0, 500)}`);
  };

  const controller = new Controller('inventory', reconcile);
  for (const [kind, informer] of deps.informers) {
    controller.watch(informer, (obj) => [workloadKey(kind, obj)]);
  }
  return controller;
}
