// Informers over everything that runs or templates images: Pods in all namespaces and the
// workload kinds whose pod templates become Pods; and how events name those objects.
import { AppsV1Api, BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { WorkloadRef } from '../core/continuity/finding-status.ts';
import type { WorkloadKind } from '../core/workload-images.ts';
import type { EventTarget } from '../kube/events.ts';
import type { BackoffPolicy } from '../kube/backoff.ts';
import { ResilientInformer } from '../kube/informer.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

export type InventoryKind = 'Pod' | WorkloadKind;

type List = () => Promise<KubernetesListObject<KubernetesObject>>;

export function inventoryInformers(
  kubeConfig: KubeConfig,
  deps: { logger: Logger; metrics: Metrics; backoff: BackoffPolicy },
): Map<InventoryKind, ResilientInformer<KubernetesObject>> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const sources: [InventoryKind, string, string, List][] = [
    ['Pod', 'pods', '/api/v1/pods', () => core.listPodForAllNamespaces()],
    [
      'Deployment',
      'deployments.apps',
      '/apis/apps/v1/deployments',
      () => apps.listDeploymentForAllNamespaces(),
    ],
    [
      'ReplicaSet',
      'replicasets.apps',
      '/apis/apps/v1/replicasets',
      () => apps.listReplicaSetForAllNamespaces(),
    ],
    [
      'StatefulSet',
      'statefulsets.apps',
      '/apis/apps/v1/statefulsets',
      () => apps.listStatefulSetForAllNamespaces(),
    ],
    ['DaemonSet', 'daemonsets.apps', '/apis/apps/v1/daemonsets', () => apps.listDaemonSetForAllNamespaces()],
    ['Job', 'jobs.batch', '/apis/batch/v1/jobs', () => batch.listJobForAllNamespaces()],
    ['CronJob', 'cronjobs.batch', '/apis/batch/v1/cronjobs', () => batch.listCronJobForAllNamespaces()],
  ];
  return new Map(
    sources.map(([kind, resource, path, list]) => [
      kind,
      new ResilientInformer(
        kubeConfig,
        { resource, path, list, backoff: deps.backoff },
        deps.logger,
        deps.metrics,
      ),
    ]),
  );
}

const API_VERSIONS: Record<InventoryKind, string> = {
  Pod: 'v1',
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

/** The workload as an event names it, if the informer still holds it. */
export function workloadEventTarget(
  informers: Map<InventoryKind, ResilientInformer<KubernetesObject>>,
  workload: WorkloadRef,
): EventTarget | undefined {
  const kind = workload.kind as InventoryKind;
  const obj = informers.get(kind)?.get(workload.name, workload.namespace);
  if (!obj) return undefined;
  return {
    apiVersion: API_VERSIONS[kind],
    kind,
    name: workload.name,
    namespace: workload.namespace,
    ...(obj.metadata?.uid ? { uid: obj.metadata.uid } : {}),
  };
}

/** The inventory's key for a workload: kind/namespace/name. */
export const workloadKey = (kind: InventoryKind, obj: KubernetesObject): string =>
  `${kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
