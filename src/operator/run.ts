// `signwarden run`: wires configuration, the API client, leader election, informers, controllers
// and the HTTP endpoints, and shuts them down in order on SIGTERM.
import type { Server } from 'node:http';
import { driftFindingKind } from '../api/drift-finding.ts';
import { signingBaselineKind } from '../api/signing-baseline.ts';
import type { RunConfig } from '../config/run-config.ts';
import { continuityController, knownRepositories } from '../controllers/continuity-controller.ts';
import { customResourceInformer } from '../controllers/custom-resource-informer.ts';
import { inventoryController } from '../controllers/inventory-controller.ts';
import { inventoryInformers, workloadEventTarget, workloadKey } from '../controllers/inventory-informers.ts';
import { pinController, pinInformer } from '../controllers/pin-controller.ts';
import { PinKeys } from '../controllers/pin-keys.ts';
import { PullCredentials } from '../kube/pull-credentials.ts';
import { InventoryState } from '../observe/inventory-state.ts';
import { Observer } from '../observe/observer.ts';
import { RegistryClient } from '../registry/registry-client.ts';
import { loadTrustRoot } from './trust-root.ts';
import { EnforcementVerdicts } from '../controllers/enforcement-verdicts.ts';
import { parametersController, parametersInformers } from '../controllers/parameters-controller.ts';
import { policyController, policyInformers } from '../controllers/policy-controller.ts';
import { PolicyStatus } from '../controllers/policy-status.ts';
import { DEFAULT_PARAMETERS_NAME } from '../core/enforcement/parameters.ts';
import { publishedAdmitted } from '../core/enforcement/published-verdicts.ts';
import { verdictInput } from '../core/enforcement/repository-verdicts.ts';
import { ObjectApplier } from '../kube/object-applier.ts';
import { DEFAULT_TAG_WATCH_OPTIONS, tagWatcher } from '../controllers/tag-watcher.ts';
import { createEnforcementMetrics } from '../observability/enforcement-metrics.ts';
import type { Controller } from '../kube/controller.ts';
import { EventRecorder } from '../kube/events.ts';
import { loadKubeConfig } from '../kube/kube-config.ts';
import { LeaderElector } from '../kube/leader-election.ts';
import { countApiRequests } from '../kube/request-metrics.ts';
import { Applier } from '../kube/server-side-apply.ts';
import { createLogger } from '../log/logger.ts';
import { startHttpServer } from '../observability/http-server.ts';
import { createMetrics } from '../observability/metrics.ts';

const RETRY_BACKOFF = { baseMs: 500, maxMs: 60_000 };
const WATCH_BACKOFF = { baseMs: 1_000, maxMs: 30_000 };
/** How often the start-up checks whether every informer has listed. */
const SYNC_POLL_MS = 100;
/** A baseline signer's lastSeen and a finding's lastDetected move at most this often. */
const HEARTBEAT_MS = 3_600_000;

/** Runs until SIGTERM or SIGINT; resolves with the process exit code. */
export async function run(config: RunConfig): Promise<number> {
  const logger = createLogger(config.logLevel, { identity: config.identity });
  const kubeConfig = loadKubeConfig(config.kubeconfig);
  const metrics = createMetrics();
  countApiRequests(kubeConfig, metrics.kubeApiRequests);
  const applier = new Applier(kubeConfig);
  const events = new EventRecorder(
    kubeConfig,
    { controller: 'signwarden.dev/operator', instance: config.identity },
    logger,
  );
  const deps = { kubeConfig, applier, events, logger, metrics, backoff: WATCH_BACKOFF };

  const trust = loadTrustRoot(config.trustedRoot);
  const registry = new RegistryClient({
    insecureRegistries: config.insecureRegistries,
    limits: { maxConcurrentPerRegistry: config.registryConcurrency },
    onRequest: ({ host, status }) => metrics.registryRequests.inc({ host, status: String(status) }),
  });
  const observer = new Observer({
    ttlMs: config.postureTtl,
    maxEntries: config.maxDigests,
    concurrency: config.verifyConcurrency,
    hooks: {
      cacheHit: () => metrics.observerCacheHits.inc(),
      inFlight: (n) => metrics.observerInFlight.set(n),
    },
  });
  const inventory = new InventoryState(logger, metrics.registry);
  const pinKeys = new PinKeys();

  const enforcementMetrics = createEnforcementMetrics(metrics.registry);
  const objects = new ObjectApplier(kubeConfig);
  const verdicts = new EnforcementVerdicts();
  const credentials = new PullCredentials(
    kubeConfig,
    config.registrySecrets.map((ref) => {
      const [namespace = '', name = ''] = ref.split('/');
      return { namespace, name };
    }),
  );
  // Pinned keys, as the pin controller last read them: a key signature is KeySigned only with one.
  const judgeContext = {
    trust,
    get keys() {
      return pinKeys.all();
    },
  };
  const watcher = config.tagWatch
    ? tagWatcher({
        registry,
        observer,
        credentials,
        judgeContext,
        inventory,
        metrics,
        logger: logger.child({ controller: 'tag-watch' }),
        options: {
          ...DEFAULT_TAG_WATCH_OPTIONS,
          intervalMs: config.tagWatchInterval,
          maxTagsPerRepository: config.tagWatchMaxTags,
          requestsPerSecondPerRegistry: config.tagWatchRate,
        },
      })
    : undefined;
  // Tags as workloads resolved them, and as the registry lists them (the registry's listing wins).
  const tagsOf = (repository: string) => [
    ...new Map(
      [...inventory.tagsOf(repository), ...(watcher?.tagsOf(repository) ?? [])].map((t) => [t.tag, t]),
    ).values(),
  ];
  inventory.onChange((repository) => verdicts.invalidate(repository));
  // Guarded repositories are watched in their registries: what enforcement would check.
  if (watcher) verdicts.onChange(() => watcher.setGuarded(verdicts.guarded()));
  const pins = pinInformer(deps);
  const baselines = customResourceInformer(deps, signingBaselineKind);
  const findings = customResourceInformer(deps, driftFindingKind);
  const workloads = inventoryInformers(kubeConfig, deps);
  // Built only when enforcing: an informer reports itself unsynced in the metrics from the start.
  const enforcing =
    config.enforcement === 'off'
      ? undefined
      : { parameters: parametersInformers(kubeConfig, deps), policy: policyInformers(kubeConfig, deps) };
  const informers = [
    pins,
    baselines,
    findings,
    ...workloads.values(),
    ...(enforcing
      ? [
          enforcing.parameters.namespaces,
          enforcing.parameters.parameters,
          enforcing.policy.policies,
          enforcing.policy.bindings,
        ]
      : []),
  ];
  const inventoryComplete = () =>
    inventory.completeFor(() =>
      [...workloads].flatMap(([kind, informer]) =>
        informer.synced ? informer.list().map((obj) => workloadKey(kind, obj)) : ['(not synced)'],
      ),
    );
  const pinsController = pinController(deps, pins, {
    keys: pinKeys,
    repositories: () => knownRepositories(inventory, baselines),
  });
  // A pin's matched count follows the repositories known; re-count when that set changes.
  const recountPins = () => {
    for (const pin of pins.list()) pinsController.enqueue(pin.metadata?.name ?? '');
  };
  inventory.onRepositoriesChange(recountPins);
  baselines.onChange(recountPins);
  const inventoryWork = inventoryController({
    informers: workloads,
    observer,
    registry,
    credentials,
    judgeContext,
    metrics,
    logger: logger.child({ controller: 'inventory' }),
    onObserved: (workload, images) => inventory.record(workload, images),
    onRemoved: (workload) => inventory.remove(workload),
  });
  // A pinned key added or removed changes what is KeySigned or Unverifiable: those digests are
  // judged again (keyless postures do not depend on pinned keys).
  pinKeys.onChange(() => {
    observer.forget((o) => o.posture !== 'Signed' || o.signers.some((s) => s.kind === 'Key'));
    for (const [kind, informer] of workloads)
      for (const obj of informer.list()) inventoryWork.enqueue(workloadKey(kind, obj));
  });
  const controllers: Controller[] = [
    pinsController,
    continuityController({
      applier,
      events,
      logger: logger.child({ controller: 'continuity' }),
      metrics,
      baselines,
      findings,
      pins,
      pinKeys,
      inventory,
      inventoryComplete,
      eventTarget: (workload) => workloadEventTarget(workloads, workload),
      policy: {
        establishAfterMs: config.establishAfter,
        heartbeatMs: HEARTBEAT_MS,
        findingTtlMs: config.findingTtl,
        maxFindings: config.maxFindings,
        maxBaselines: config.maxBaselines,
      },
      onPlanned: (repository, plan, pin, complete) =>
        verdicts.update(verdictInput(repository, plan, pin, tagsOf(repository), Date.now()), complete),
    }),
    inventoryWork,
    ...(watcher ? [watcher] : []),
  ];

  if (enforcing) {
    const excludedNamespaces = config.excludeNamespaces?.length
      ? config.excludeNamespaces
      : [config.namespace, 'kube-system'];
    const policyOptions = {
      operatorNamespace: config.namespace,
      operatorServiceAccount: config.serviceAccount,
      excludedNamespaces,
      requireDigests: config.requireDigests,
    };
    const policyStatus = new PolicyStatus();
    controllers.push(
      parametersController({
        applier,
        policy: policyStatus,
        objects,
        events,
        logger: logger.child({ controller: 'enforcement-parameters' }),
        metrics: enforcementMetrics,
        ...enforcing.parameters,
        verdicts,
        // After a start: every workload judged again, every repository planned from that, and
        // every guarded repository's tags listed once (or tried), before anything is rewritten.
        ready: () =>
          inventoryComplete() &&
          verdicts.plannedComplete(knownRepositories(inventory, baselines)) &&
          (watcher?.visited(verdicts.guarded()) ?? true),
        parametersName: DEFAULT_PARAMETERS_NAME,
        excludedNamespaces,
      }),
      policyController({
        kubeConfig,
        objects,
        events,
        logger: logger.child({ controller: 'enforcement-policy' }),
        metrics: enforcementMetrics,
        informers: enforcing.policy,
        mode: config.enforcement === 'manage' ? 'manage' : 'parameters',
        options: policyOptions,
        status: policyStatus,
      }),
    );
  }

  // Listen for signals before anything slow starts, so SIGTERM always means a graceful stop.
  let lostLeadership: () => void = () => undefined;
  const stopRequested = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    lostLeadership = () => resolve('leadership lost');
  });

  let leading = false;
  let stopping = false;
  const startControllers = () => {
    leading = true;
    metrics.leader.set(1);
    // What was published before keeps its verified digests (the informers have listed by now).
    if (enforcing)
      verdicts.seed(publishedAdmitted(enforcing.parameters.parameters.list().map((p) => p.spec)), Date.now());
    for (const c of controllers)
      c.start({ workers: config.workers, backoff: RETRY_BACKOFF, metrics, logger });
  };
  const stopControllers = async () => {
    leading = false;
    metrics.leader.set(0);
    await Promise.all(controllers.map((c) => c.stop()));
  };

  const elector = config.leaderElect
    ? new LeaderElector(
        kubeConfig,
        {
          namespace: config.namespace,
          name: config.leaseName,
          identity: config.identity,
          leaseDurationMs: config.leaseDuration,
          renewDeadlineMs: config.renewDeadline,
          retryPeriodMs: config.retryPeriod,
          onStartedLeading: startControllers,
          // Losing the lease outside shutdown means another replica may already write: stop at once
          // and exit, so the replica restarts clean as a follower.
          onStoppedLeading: () => {
            if (!stopping) lostLeadership();
          },
        },
        logger,
      )
    : undefined;

  const server: Server = await startHttpServer({
    address: config.httpAddress,
    registry: metrics.registry,
    readiness: () => ({
      ready: informers.every((i) => i.synced),
      leader: leading,
      informers: Object.fromEntries(informers.map((i) => [i.resource, i.synced])),
    }),
  });
  logger.info('serving health and metrics', { address: config.httpAddress });

  for (const informer of informers) await informer.start();
  // Campaign (or, without election, start the controllers) only once every informer has listed:
  // a leader reconciling from a half-filled cache could overwrite what it has not seen yet.
  const synced = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (stopping || informers.every((i) => i.synced)) {
        clearInterval(check);
        resolve();
      }
    }, SYNC_POLL_MS);
  });
  void synced.then(() => {
    if (stopping) return;
    if (elector) elector.start();
    else startControllers();
  });

  const signal = await stopRequested;
  stopping = true;
  logger.info('shutting down', { reason: signal });
  await stopControllers();
  await elector?.stop();
  await Promise.all(informers.map((i) => i.stop()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  logger.info('stopped');
  return signal === 'leadership lost' ? 1 : 0;
}
