// Continuity controller: one reconcile per repository (canonical key). It reads the repository's
// SigningBaseline and DriftFindings and the pin in force, takes the digests in use from the
// inventory, lets planRepository decide, and writes only what differs: the baseline, the findings,
// Warning events on the workloads of newly open findings. It deletes resolved findings after their
// TTL, and keeps the counts of both kinds under their caps.
import type { KubernetesObject } from '@kubernetes/client-node';
import { driftFindingKind } from '../api/drift-finding.ts';
import {
  driftFindingSchema,
  parseObject,
  signaturePinSchema,
  signingBaselineSchema,
} from '../api/resources.ts';
import type { DriftFinding, SigningBaseline } from '../api/resources.ts';
import { signingBaselineKind } from '../api/signing-baseline.ts';
import type { BaselinePolicy, BaselineStatus } from '../core/continuity/baseline-status.ts';
import type { PlannedFinding, RepositoryPlan } from '../core/continuity/repository-plan.ts';
import type { PinState } from '../core/continuity/decide.ts';
import { planRepository } from '../core/continuity/repository-plan.ts';
import type { WorkloadRef } from '../core/continuity/finding-status.ts';
import { objectName } from '../core/continuity/object-name.ts';
import { mostSpecificPin } from '../core/continuity/pin-match.ts';
import { pinState } from '../core/continuity/pin-state.ts';
import { baselinesToEvict, findingsToDelete } from '../core/continuity/retention.ts';
import { sameContent } from '../core/same-content.ts';
import { describeError } from '../kube/api-error.ts';
import { Controller } from '../kube/controller.ts';
import type { EventRecorder, EventTarget } from '../kube/events.ts';
import type { ResilientInformer } from '../kube/informer.ts';
import { OwnWrites } from '../kube/own-writes.ts';
import type { Applier } from '../kube/server-side-apply.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { InventoryState } from '../observe/inventory-state.ts';
import { LruCache } from '../observe/lru-cache.ts';
import type { PinKeys } from './pin-keys.ts';

export const ACCEPT_ANNOTATION = 'signwarden.dev/accept';
const KIND_LABEL = 'signwarden.dev/drift-kind';
/** While the inventory is still filling after a start, one repository looks again this soon. */
const INCOMPLETE_RETRY_MS = 2_000;
/** How often, at most, the baseline and finding gauges are recounted. */
const GAUGE_INTERVAL_MS = 1_000;
/** Digests verified by a known signer, remembered so that a later Checking need not block them. */
const VERIFIED_TTL_MS = 7 * 24 * 3_600_000;

export interface ContinuityPolicy extends BaselinePolicy {
  findingTtlMs: number;
  maxFindings: number;
  maxBaselines: number;
}

export interface ContinuityDeps {
  applier: Applier;
  events: EventRecorder;
  logger: Logger;
  metrics: Metrics;
  baselines: ResilientInformer<KubernetesObject>;
  findings: ResilientInformer<KubernetesObject>;
  pins: ResilientInformer<KubernetesObject>;
  pinKeys: PinKeys;
  inventory: InventoryState;
  /** Whether every workload has been observed once since the start (see InventoryState.completeFor). */
  inventoryComplete: () => boolean;
  /** The object an event about a workload is recorded on, if it still exists. */
  eventTarget: (workload: WorkloadRef) => EventTarget | undefined;
  policy: ContinuityPolicy;
  /** Called with every plan and the pin in force: enforcement publishes from the same decisions. */
  onPlanned?: (
    repository: string,
    plan: RepositoryPlan,
    pin: PinState | undefined,
    complete: boolean,
  ) => void;
}

/** The object parsed, or why it cannot be used (the CRD schema should have refused it). */
const parsed = <T>(schema: Parameters<typeof parseObject<T>>[0], obj: KubernetesObject | undefined) => {
  if (!obj) return undefined;
  const result = parseObject(schema, obj);
  if (!result.ok) throw new Error(`${obj.metadata?.name ?? ''}: ${result.message}`);
  return result.value;
};

/** Objects that parse; one the schema refuses is skipped rather than stopping every repository. */
const valid = <T>(schema: Parameters<typeof parseObject<T>>[0], objs: readonly KubernetesObject[]): T[] =>
  objs.flatMap((obj) => {
    const result = parseObject(schema, obj);
    return result.ok ? [result.value] : [];
  });

const repositoryOf = (obj: KubernetesObject): string[] => {
  const repository = (obj as { spec?: { repository?: unknown } }).spec?.repository;
  return typeof repository === 'string' && repository !== '' ? [repository] : [];
};

/** Repositories in use or with a baseline: what a pin can select. */
export const knownRepositories = (
  inventory: InventoryState,
  baselines: ResilientInformer<KubernetesObject>,
): string[] => [...new Set([...inventory.repositories(), ...baselines.list().flatMap(repositoryOf)])];

export function continuityController(deps: ContinuityDeps): Controller {
  const { applier, logger, metrics, inventory, policy } = deps;
  const baselines = new OwnWrites(deps.baselines);
  const findings = new OwnWrites(deps.findings);
  const verified = new LruCache<true>(20_000);

  const baselineList = (): SigningBaseline[] => valid(signingBaselineSchema, baselines.list());
  const findingList = (): DriftFinding[] => valid(driftFindingSchema, findings.list());

  const pinFor = (repository: string) => {
    const pins = valid(signaturePinSchema, deps.pins.list()).flatMap((pin) =>
      pin.spec.repositories ? [{ name: pin.metadata.name, repositories: pin.spec.repositories, pin }] : [],
    );
    const chosen = mostSpecificPin(pins, repository)?.pin;
    return (
      chosen &&
      pinState(chosen.name, chosen.pin.spec.signers, (i) => deps.pinKeys.fingerprint(chosen.name, i))
    );
  };

  /** Evicts cold baselines not in use, least recently seen first, to fit one more; false if none may go. */
  const roomForBaseline = async (): Promise<boolean> => {
    const all = baselineList().map((b) => ({
      name: b.metadata.name,
      repository: b.spec.repository,
      established: b.status?.established === true,
      inUse: inventory.uses(b.spec.repository).length > 0,
      lastSeen: [b.status?.lastObserved?.time, ...(b.status?.signers ?? []).map((s) => s.lastSeen)]
        .filter((t) => t !== undefined)
        .sort()
        .at(-1),
    }));
    const evict = baselinesToEvict(all, policy.maxBaselines, 1);
    for (const name of evict) {
      await applier.delete(signingBaselineKind.plural, name);
      baselines.deleted(name);
      metrics.baselineEvictions.inc();
      logger.warn('baseline evicted: over --max-baselines', {
        repository: all.find((b) => b.name === name)?.repository,
      });
    }
    return all.length - evict.length < policy.maxBaselines;
  };

  /** Deletes resolved findings (expired first, then oldest) to fit `incoming` more; how many fit. */
  const roomForFindings = async (incoming: number, now: Date): Promise<number> => {
    const all = findingList().map((f) => ({ name: f.metadata.name, ...f.status }));
    const { names } = findingsToDelete(all, now, policy.findingTtlMs, policy.maxFindings, incoming);
    await deleteFindings(names, 'over --max-findings');
    return policy.maxFindings - (all.length - names.length);
  };

  const deleteFindings = async (names: readonly string[], why: string) => {
    for (const name of names) {
      await applier.delete(driftFindingKind.plural, name);
      findings.deleted(name);
      metrics.findingsExpired.inc();
      logger.info('finding deleted', { finding: name, why });
    }
  };

  const writeBaseline = async (
    repository: string,
    current: SigningBaseline | undefined,
    status: BaselineStatus,
  ) => {
    const name = objectName(repository);
    const desired = {
      ...current?.status,
      ...status,
      corroboration: current?.status?.corroboration ?? 'None',
    };
    if (sameContent(desired, current?.status)) return;
    if (!current) {
      if (!(await roomForBaseline())) {
        logger.warn(
          'baseline not learned: --max-baselines reached and every baseline is established or in use',
          {
            repository,
          },
        );
        return;
      }
      baselines.wrote(
        await applier.apply(signingBaselineKind.plural, {
          kind: signingBaselineKind.kind,
          metadata: { name },
          spec: { repository },
        }),
      );
      logger.info('baseline learned', { repository, baseline: name });
    }
    baselines.wrote(
      await applier.applyStatus(signingBaselineKind.plural, signingBaselineKind.kind, name, desired),
    );
    if (current && desired.established && !current.status?.established)
      logger.info('baseline established', { repository, baseline: name });
  };

  const writeFinding = async (
    repository: string,
    planned: PlannedFinding,
    current: DriftFinding | undefined,
  ) => {
    const { name, kind, subject, status } = planned;
    if (!current)
      findings.wrote(
        await applier.apply(driftFindingKind.plural, {
          kind: driftFindingKind.kind,
          metadata: { name, labels: { [KIND_LABEL]: kind } },
          spec: { repository, kind, subject },
        }),
      );
    if (!sameContent(status, current?.status))
      findings.wrote(await applier.applyStatus(driftFindingKind.plural, driftFindingKind.kind, name, status));
    if (status.acceptance && !current?.status?.acceptance)
      logger.info('finding accepted', { finding: name, repository, kind, reason: status.acceptance.reason });
    if (!planned.opened) return;
    logger.warn('drift detected', {
      finding: name,
      repository,
      kind,
      severity: status.severity,
      digest: status.digest,
    });
    const note =
      `${kind} in ${repository} (${status.digest ?? subject}): expected ${status.expected?.join(' or ') ?? 'nothing'}, ` +
      `observed ${status.observed ?? 'nothing'}. See: kubectl get driftfinding ${name}`;
    for (const workload of status.affectedWorkloads ?? []) {
      const target = deps.eventTarget(workload);
      if (target)
        await deps.events.record(target, { type: 'Warning', reason: 'SigningDrift', action: 'Verify', note });
    }
  };

  // The gauges count every baseline and finding: recomputed at most once per GAUGE_INTERVAL_MS,
  // from the raw objects (the API server validated them against the CRD schema), so that a burst
  // of reconciles (a restart with thousands of baselines) costs one pass, not one per reconcile.
  let gaugeTimer: NodeJS.Timeout | undefined;
  const updateGauges = () => {
    gaugeTimer = undefined;
    metrics.baselines.reset();
    for (const b of baselines.list() as { status?: { established?: boolean; corroboration?: string } }[])
      metrics.baselines.inc({
        established: String(b.status?.established === true),
        corroboration: b.status?.corroboration ?? 'None',
      });
    metrics.findings.reset();
    for (const f of findings.list() as {
      spec?: { kind?: string };
      status?: { phase?: string; severity?: string };
    }[])
      metrics.findings.inc({
        kind: f.spec?.kind ?? 'Unknown',
        phase: f.status?.phase ?? 'Open',
        severity: f.status?.severity ?? 'Low',
      });
  };
  const scheduleGauges = () => {
    gaugeTimer ??= setTimeout(updateGauges, GAUGE_INTERVAL_MS).unref();
  };

  /** Repositories whose reconcile waits for a complete inventory, and the one that looks again. */
  const waiting = new Set<string>();
  let waiter: string | undefined;

  const reconcile = async (repository: string) => {
    const now = new Date();
    const baseline = parsed(signingBaselineSchema, baselines.get(objectName(repository)));
    // Filtered before parsing: only this repository's findings are validated on each reconcile.
    const existing = valid(
      driftFindingSchema,
      findings.list().filter((f) => repositoryOf(f).includes(repository)),
    );
    const complete = deps.inventoryComplete();
    const inUse = inventory.uses(repository);
    const last = baseline?.status?.lastObserved;
    const verifiedDigests = new Set(
      inUse
        .map((u) => u.observation.digest)
        .filter(
          (d) =>
            verified.get(d) ||
            (last?.digest === d && (last.posture === 'Signed' || last.posture === 'KeySigned')),
        ),
    );
    const pin = pinFor(repository);
    const plan = planRepository({
      repository,
      inUse,
      inventoryComplete: complete,
      ...(baseline?.status ? { baseline: baseline.status } : {}),
      ...(pin ? { pin } : {}),
      findings: existing.map((f) => ({
        name: f.metadata.name,
        kind: f.spec.kind,
        subject: f.spec.subject,
        ...(f.status ? { status: f.status } : {}),
        ...(f.metadata.annotations?.[ACCEPT_ANNOTATION] !== undefined
          ? { acceptReason: f.metadata.annotations[ACCEPT_ANNOTATION] }
          : {}),
      })),
      verifiedDigests,
      now,
      policy,
    });
    for (const { observation, decision } of plan.decisions)
      if (decision.admit && decision.seen.length + decision.learn.length > 0)
        verified.set(observation.digest, true, VERIFIED_TTL_MS);
    deps.onPlanned?.(repository, plan, pin, complete);
    // Until every workload has been observed again after a start, a plan sees part of what runs:
    // writing it would rewrite statuses (affected workloads, last observation) twice. The
    // repositories wait; one of them looks again, and the first reconcile to find the inventory
    // complete enqueues the rest (not every repository every 2 s: O(repositories × workloads)).
    if (!complete) {
      waiting.add(repository);
      waiter ??= repository;
      return waiter === repository ? { requeueAfterMs: INCOMPLETE_RETRY_MS } : undefined;
    }
    if (waiting.size > 0) {
      const rest = [...waiting].filter((r) => r !== repository);
      waiting.clear();
      waiter = undefined;
      for (const r of rest) controller.enqueue(r);
    }
    for (const signer of plan.accepted)
      logger.info('baseline widened by an accepted finding', { repository, signer });

    if (plan.baseline) await writeBaseline(repository, baseline, plan.baseline);
    const byName = new Map(existing.map((f) => [f.metadata.name, f]));
    const incoming = plan.findings.filter((f) => !byName.has(f.name));
    let room = incoming.length > 0 ? await roomForFindings(incoming.length, now) : 0;
    for (const planned of plan.findings) {
      const current = byName.get(planned.name);
      if (!current && room-- <= 0) {
        metrics.findingsDropped.inc();
        logger.warn('finding not recorded: --max-findings reached', { repository, kind: planned.kind });
        continue;
      }
      await writeFinding(repository, planned, current);
    }
    const expiry = findingsToDelete(
      plan.findings.map((f) => ({ name: f.name, ...f.status })),
      now,
      policy.findingTtlMs,
      Infinity,
    );
    await deleteFindings(expiry.names, 'resolved longer than --finding-ttl');
    scheduleGauges();

    const delays = [plan.requeueAfterMs, expiry.nextExpiryMs].filter((d) => d !== undefined);
    return delays.length > 0 ? { requeueAfterMs: Math.min(...delays) } : undefined;
  };

  class Continuity extends Controller {
    override start(options: Parameters<Controller['start']>[0]): void {
      // A waiter's requeue does not survive a stop; a start enqueues what it knows, and the first
      // to find the inventory incomplete waits for all.
      waiter = undefined;
      super.start(options);
    }
  }
  const controller = new Continuity('continuity', async (key) => {
    try {
      return await reconcile(key);
    } catch (error) {
      throw new Error(`repository ${key}: ${describeError(error)}`, { cause: error });
    }
  })
    .watch(deps.baselines, repositoryOf)
    .watch(deps.findings, repositoryOf)
    .watch(deps.pins, () => knownRepositories(inventory, deps.baselines));
  inventory.onChange((repository) => controller.enqueue(repository));
  deps.pinKeys.onChange(() => {
    for (const repository of knownRepositories(inventory, deps.baselines)) controller.enqueue(repository);
  });
  return controller;
}
