// The admission policy itself: in `manage` mode the generated ValidatingAdmissionPolicy, its deny
// and warn bindings and the parameters guard are applied and kept as generated (updated in place,
// written only when they differ); in `parameters` mode they come from elsewhere (render-policy,
// git) and are only checked for. Problems show as Warning events on the operator's namespace, a
// metric and the log.
import { AdmissionregistrationV1Api, AuthenticationV1Api } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { coveredBy } from '../core/covered-by.ts';
import { DEFAULT_POLICY_NAME, generatePolicy } from '../core/enforcement/policy.ts';
import type { PolicyStatus } from './policy-status.ts';
import type { PolicyOptions } from '../core/enforcement/policy.ts';
import { describeError } from '../kube/api-error.ts';
import type { BackoffPolicy } from '../kube/backoff.ts';
import { Controller } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/events.ts';
import { ResilientInformer } from '../kube/informer.ts';
import type { ObjectApplier } from '../kube/object-applier.ts';
import type { Logger } from '../log/logger.ts';
import type { EnforcementMetrics } from '../observability/enforcement-metrics.ts';
import type { Metrics } from '../observability/metrics.ts';

const MANAGED = 'app.kubernetes.io/managed-by=signwarden';
/** The one key of the policy controller: everything it keeps is generated together. */
const KEY = 'policy';

export interface PolicyInformers {
  policies: ResilientInformer<KubernetesObject>;
  bindings: ResilientInformer<KubernetesObject>;
}

/** Informers over signwarden's admission policies and bindings (by their label). */
export function policyInformers(
  kubeConfig: KubeConfig,
  deps: { logger: Logger; metrics: Metrics; backoff: BackoffPolicy },
): PolicyInformers {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const informer = (plural: string, list: () => Promise<unknown>) =>
    new ResilientInformer<KubernetesObject>(
      kubeConfig,
      {
        resource: `${plural}.admissionregistration.k8s.io`,
        path: `/apis/admissionregistration.k8s.io/v1/${plural}`,
        labelSelector: MANAGED,
        list: list as () => Promise<KubernetesListObject<KubernetesObject>>,
        backoff: deps.backoff,
      },
      deps.logger,
      deps.metrics,
    );
  return {
    policies: informer('validatingadmissionpolicies', () =>
      api.listValidatingAdmissionPolicy({ labelSelector: MANAGED }),
    ),
    bindings: informer('validatingadmissionpolicybindings', () =>
      api.listValidatingAdmissionPolicyBinding({ labelSelector: MANAGED }),
    ),
  };
}

export interface PolicyDeps {
  kubeConfig: KubeConfig;
  objects: ObjectApplier;
  events: EventRecorder;
  logger: Logger;
  metrics: EnforcementMetrics;
  informers: PolicyInformers;
  mode: 'manage' | 'parameters';
  options: PolicyOptions;
  /** Where the outcome goes, for the status of the parameters. */
  status: PolicyStatus;
}

export function policyController(deps: PolicyDeps): Controller {
  const { logger, metrics } = deps;
  let username: string | undefined;
  let lastProblem = '';

  /** The user the API server sees for the operator's credentials: the guard's one writer. */
  const whoAmI = async (): Promise<string | undefined> => {
    if (username) return username;
    try {
      const review = await deps.kubeConfig.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      });
      username = review.status?.userInfo?.username;
    } catch (error) {
      logger.warn('cannot tell the operator user name; the guard names the service account', {
        error: describeError(error),
      });
    }
    return username;
  };

  const inPlace = () => {
    metrics.policyReady.set(1);
    lastProblem = '';
    deps.status.set({
      ready: true,
      reason: 'PolicyInPlace',
      message: `ValidatingAdmissionPolicy ${deps.options.name ?? DEFAULT_POLICY_NAME} and its bindings are in place as generated`,
    });
  };

  const problem = async (reason: string, note: string) => {
    metrics.policyReady.set(0);
    deps.status.set({ ready: false, reason, message: note });
    if (note === lastProblem) return;
    lastProblem = note;
    logger.warn(note);
    await deps.events.record(
      { apiVersion: 'v1', kind: 'Namespace', name: deps.options.operatorNamespace },
      { type: 'Warning', reason, action: 'Enforce', note },
    );
  };

  const current = (obj: { kind?: string; metadata?: { name?: string } }) => {
    const informer =
      obj.kind === 'ValidatingAdmissionPolicy' ? deps.informers.policies : deps.informers.bindings;
    return informer.get(obj.metadata?.name ?? '');
  };

  const reconcile = async () => {
    const user = await whoAmI();
    const generated = generatePolicy({ ...deps.options, ...(user ? { operatorUsername: user } : {}) });
    const desired = [
      generated.policy,
      ...generated.bindings,
      generated.guard.policy,
      generated.guard.binding,
    ] as (KubernetesObject & Record<string, unknown>)[];
    const stale = desired.filter((obj) => {
      const existing = current(obj);
      return (
        !existing ||
        !coveredBy(obj.spec, (existing as { spec?: unknown }).spec) ||
        !coveredBy(obj.metadata?.labels, existing.metadata?.labels)
      );
    });
    if (deps.mode === 'parameters') {
      if (stale.length > 0)
        await problem(
          'EnforcementPolicyMissing',
          `--enforcement=parameters: ${stale.map((o) => `${o.kind} ${o.metadata?.name}`).join(', ')} ` +
            'missing or not as generated; apply the output of `signwarden render-policy` with the same flags',
        );
      else inPlace();
      return undefined;
    }
    for (const obj of stale) {
      try {
        await deps.objects.apply(obj);
      } catch (error) {
        await problem(
          'EnforcementPolicyNotApplied',
          `cannot apply ${obj.kind} ${obj.metadata?.name}: ${describeError(error)}`,
        );
        throw error;
      }
      logger.info('admission policy applied', { kind: obj.kind, name: obj.metadata?.name });
    }
    inPlace();
    return undefined;
  };

  const controller = new Controller('enforcement-policy', reconcile).always(KEY);
  for (const informer of [deps.informers.policies, deps.informers.bindings])
    controller.watch(informer, () => [KEY]);
  return controller;
}
