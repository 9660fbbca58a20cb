// Enforcement parameters: one EnforcementParameters object in each namespace labelled
// signwarden.dev/enforcement=deny or =warn (and not excluded), generated from the verdicts the
// continuity controller planned. It is written only when its content changes, never from a
// half-rebuilt view after a start, and deleted when the namespace stops enforcing. Its status says
// whether the policy is in place and every verdict fits; a namespace whose verdicts do not fit also
// gets a Warning event and a metric; what did not fit fails closed (parameters.ts).
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type {
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  V1Namespace,
} from '@kubernetes/client-node';
import { enforcementParametersKind } from '../api/enforcement-parameters.ts';
import type { EnforcementParametersStatus } from '../api/enforcement-parameters.ts';
import { parametersStatus } from '../core/enforcement/parameters-status.ts';
import type { Applier } from '../kube/server-side-apply.ts';
import type { PolicyStatus } from './policy-status.ts';
import { API_VERSION, GROUP, VERSION } from '../api/group.ts';
import { resourceName, resourcePath } from '../api/resources.ts';
import { generateParameters } from '../core/enforcement/parameters.ts';
import type { ParametersResult } from '../core/enforcement/parameters.ts';
import { ENFORCEMENT_LABEL } from '../core/enforcement/policy.ts';
import { coveredBy } from '../core/covered-by.ts';
import { sameContent } from '../core/same-content.ts';
import type { BackoffPolicy } from '../kube/backoff.ts';
import { Controller } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/events.ts';
import { ResilientInformer } from '../kube/informer.ts';
import type { ObjectApplier } from '../kube/object-applier.ts';
import type { Logger } from '../log/logger.ts';
import type { EnforcementMetrics } from '../observability/enforcement-metrics.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { EnforcementVerdicts } from './enforcement-verdicts.ts';

/** While the verdicts are being rebuilt after a start, look again this soon. */
const NOT_READY_RETRY_MS = 1_000;

export interface ParametersDeps {
  objects: ObjectApplier;
  applier: Applier;
  /** The policy controller's last word on the admission policy, shown in every object's status. */
  policy: PolicyStatus;
  events: EventRecorder;
  logger: Logger;
  metrics: EnforcementMetrics;
  namespaces: ResilientInformer<V1Namespace>;
  parameters: ResilientInformer<ParametersObject>;
  verdicts: EnforcementVerdicts;
  /** Whether the verdicts reflect the complete inventory (a start has rebuilt them). */
  ready: () => boolean;
  parametersName: string;
  excludedNamespaces: readonly string[];
}

/** What the informer keeps: spec and status are read only to compare them with what is due. */
type ParametersObject = KubernetesObject & { spec?: unknown; status?: EnforcementParametersStatus };

/** Informers over namespaces and over the EnforcementParameters of every namespace. */
export function parametersInformers(
  kubeConfig: KubeConfig,
  deps: { logger: Logger; metrics: Metrics; backoff: BackoffPolicy },
): { namespaces: ResilientInformer<V1Namespace>; parameters: ResilientInformer<ParametersObject> } {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    namespaces: new ResilientInformer<V1Namespace>(
      kubeConfig,
      {
        resource: 'namespaces',
        path: '/api/v1/namespaces',
        list: () => core.listNamespace(),
        backoff: deps.backoff,
      },
      deps.logger,
      deps.metrics,
    ),
    parameters: new ResilientInformer<ParametersObject>(
      kubeConfig,
      {
        resource: resourceName(enforcementParametersKind),
        path: resourcePath(enforcementParametersKind),
        list: () =>
          custom.listCustomObjectForAllNamespaces({
            group: GROUP,
            version: VERSION,
            resourcePlural: enforcementParametersKind.plural,
          }) as Promise<KubernetesListObject<ParametersObject>>,
        backoff: deps.backoff,
      },
      deps.logger,
      deps.metrics,
    ),
  };
}

export function parametersController(deps: ParametersDeps): Controller {
  const { logger, metrics, verdicts } = deps;
  let generated: { version: number; data: ParametersResult } | undefined;

  /** The parameters of any namespace: the same verdicts everywhere, generated once per change. */
  const parametersFor = (namespace: string): ParametersResult => {
    if (generated?.version !== verdicts.version)
      generated = {
        version: verdicts.version,
        data: generateParameters({
          namespace: '',
          name: deps.parametersName,
          repositories: verdicts.repositories(),
        }),
      };
    const { object } = generated.data;
    return { ...generated.data, object: { ...object, metadata: { ...object.metadata, namespace } } };
  };

  const enforced = (ns: V1Namespace | undefined): boolean => {
    const mode = ns?.metadata?.labels?.[ENFORCEMENT_LABEL];
    return (
      (mode === 'deny' || mode === 'warn') &&
      !deps.excludedNamespaces.includes(ns?.metadata?.name ?? '') &&
      ns?.status?.phase !== 'Terminating'
    );
  };

  const reconcile = async (namespace: string) => {
    const ns = deps.namespaces.get(namespace);
    const current = deps.parameters.get(deps.parametersName, namespace);
    if (!enforced(ns)) {
      metrics.parameterBytes.remove({ namespace });
      metrics.parameterRecordsDropped.remove({ namespace });
      // A terminating namespace deletes its objects itself.
      if (!current || ns?.status?.phase === 'Terminating') return undefined;
      await deps.objects.delete({
        apiVersion: API_VERSION,
        kind: enforcementParametersKind.kind,
        metadata: { name: deps.parametersName, namespace },
      });
      metrics.parameterWrites.inc({ result: 'deleted' });
      logger.info('enforcement parameters deleted: the namespace no longer enforces', { namespace });
      return undefined;
    }
    // Until the verdicts are rebuilt, what is published stays; a namespace without parameters
    // fails closed meanwhile, as the binding says.
    if (!deps.ready()) return { requeueAfterMs: NOT_READY_RETRY_MS };

    const { object, dropped, overflow, bytes } = parametersFor(namespace);
    metrics.parameterBytes.set({ namespace }, bytes);
    metrics.parameterRecordsDropped.set({ namespace }, dropped);
    const status = parametersStatus(current?.status, object.spec, deps.policy.get(), new Date());
    const same =
      current !== undefined &&
      coveredBy(object.metadata.labels, current.metadata?.labels) &&
      sameContent(object.spec, current.spec);
    if (!same) {
      try {
        await deps.objects.apply(object);
        metrics.parameterWrites.inc({ result: 'applied' });
      } catch (error) {
        metrics.parameterWrites.inc({ result: 'error' });
        throw error;
      }
      logger.info('enforcement parameters written', { namespace, bytes, dropped, overflow });
    }
    if (!sameContent(status, current?.status))
      await deps.applier.applyStatus(
        enforcementParametersKind.plural,
        enforcementParametersKind.kind,
        deps.parametersName,
        status,
        namespace,
      );
    if (same) return undefined;
    if (dropped > 0)
      await deps.events.record(
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          name: namespace,
          ...(ns?.metadata?.uid ? { uid: ns.metadata.uid } : {}),
        },
        {
          type: 'Warning',
          reason: 'EnforcementParametersTruncated',
          action: 'Publish',
          note:
            `${dropped} verdicts did not fit in EnforcementParameters ${deps.parametersName} (1 MiB); ` +
            (overflow
              ? 'every repository now counts as guarded: images not verified are denied'
              : 'workload templates get less early feedback; Pods are still checked') +
            '. See signwarden_enforcement_parameter_records_dropped.',
        },
      );
    return undefined;
  };

  const controller = new Controller('enforcement-parameters', reconcile)
    .watch(deps.namespaces, (ns) => [ns.metadata?.name ?? ''])
    .watch(deps.parameters, (p) =>
      p.metadata?.name === deps.parametersName ? [p.metadata.namespace ?? ''] : [],
    );

  const enqueueEnforced = () => {
    for (const ns of deps.namespaces.list()) if (enforced(ns)) controller.enqueue(ns.metadata?.name ?? '');
  };
  verdicts.onChange(enqueueEnforced);
  deps.policy.onChange(enqueueEnforced);
  return controller;
}
