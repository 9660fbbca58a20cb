// An informer over one of signwarden's cluster-scoped kinds.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/group.ts';
import type { KindDefinition } from '../api/kind-definition.ts';
import { resourceName, resourcePath } from '../api/resources.ts';
import type { BackoffPolicy } from '../kube/backoff.ts';
import { ResilientInformer } from '../kube/informer.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

export function customResourceInformer(
  deps: { kubeConfig: KubeConfig; logger: Logger; metrics: Metrics; backoff: BackoffPolicy },
  kind: KindDefinition,
): ResilientInformer<KubernetesObject> {
  const api = deps.kubeConfig.makeApiClient(CustomObjectsApi);
  return new ResilientInformer(
    deps.kubeConfig,
    {
      resource: resourceName(kind),
      path: resourcePath(kind),
      list: () =>
        api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: kind.plural }) as Promise<
          KubernetesListObject<KubernetesObject>
        >,
      backoff: deps.backoff,
    },
    deps.logger,
    deps.metrics,
  );
}
