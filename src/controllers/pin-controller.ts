// SignaturePin controller: checks what the CRD schema cannot (regular expressions compile, keys
// parse, referenced Secrets exist) and reports it as the Ready condition, with observedGeneration,
// a selector summary and how many known repositories it matches, for kubectl. Status is written
// only when it changes. The keys it reads are handed to the continuity layer (PinKeys).
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { sameContent } from '../core/same-content.ts';
import { API_VERSION } from '../api/group.ts';
import { parseObject, signaturePinSchema } from '../api/resources.ts';
import type { SignaturePinStatus } from '../api/resources.ts';
import { signaturePinKind } from '../api/signature-pin.ts';
import type { Signer } from '../api/signer.ts';
import { setCondition } from '../core/conditions.ts';
import { globMatches } from '../core/continuity/pin-match.ts';
import { checkPinSigners, selectorSummary } from '../core/pin-check.ts';
import type { KeySource } from '../core/pin-check.ts';
import { statusCode, describeError } from '../kube/api-error.ts';
import { Controller } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { ResilientInformer } from '../kube/informer.ts';
import type { Applier } from '../kube/server-side-apply.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { BackoffPolicy } from '../kube/backoff.ts';
import { parsePublicKey } from '../sigstore/public-key.ts';
import type { TrustedKey } from '../sigstore/public-key.ts';
import { customResourceInformer } from './custom-resource-informer.ts';
import type { PinKeys } from './pin-keys.ts';

const trustedKeyOf = (pem: string): TrustedKey | undefined => {
  const key = parsePublicKey(pem);
  return 'error' in key ? undefined : key;
};

/** Secrets are read, not watched: re-check pins that reference one this often. */
const SECRET_RECHECK_MS = 5 * 60_000;

export interface PinControllerDeps {
  kubeConfig: KubeConfig;
  applier: Applier;
  events: EventRecorder;
  logger: Logger;
  metrics: Metrics;
  backoff: BackoffPolicy;
}

export interface PinSources {
  /** Where the keys read go. */
  keys: PinKeys;
  /** Repositories known now (in use or with a baseline), for the matched count. */
  repositories: () => Iterable<string>;
}

export const pinInformer = (deps: PinControllerDeps): ResilientInformer<KubernetesObject> =>
  customResourceInformer(deps, signaturePinKind);

export function pinController(
  deps: PinControllerDeps,
  informer: ResilientInformer<KubernetesObject>,
  sources: PinSources,
): Controller {
  const core = deps.kubeConfig.makeApiClient(CoreV1Api);

  const readKey = async (signer: Signer): Promise<KeySource> => {
    const ref = signer.key?.secretRef;
    if (signer.key?.publicKey !== undefined) return { pem: signer.key.publicKey };
    if (!ref) return { missing: 'no key given' };
    try {
      const secret = await core.readNamespacedSecret({ namespace: ref.namespace, name: ref.name });
      const value = secret.data?.[ref.key];
      if (value === undefined)
        return { missing: `Secret ${ref.namespace}/${ref.name} has no key ${ref.key}` };
      return { pem: Buffer.from(value, 'base64').toString('utf8') };
    } catch (error) {
      if (statusCode(error) === 404) return { missing: `Secret ${ref.namespace}/${ref.name} not found` };
      throw error;
    }
  };

  const reconcile = async (name: string) => {
    const obj = informer.get(name);
    if (!obj) return sources.keys.set(name, []);
    const generation = obj.metadata?.generation;
    const current = (obj as { status?: SignaturePinStatus }).status;
    const parsed = parseObject(signaturePinSchema, obj);
    let problem: { reason: string; message: string } | undefined;
    let selector: string | undefined;
    let matched: number | undefined;
    let usesSecrets = false;
    if (!parsed.ok) {
      problem = { reason: 'InvalidSpec', message: parsed.message };
    } else {
      const signers = parsed.value.spec.signers;
      usesSecrets = signers.some((s) => s.key?.secretRef);
      const keys = await Promise.all(signers.map(readKey));
      problem = checkPinSigners(signers, (_, i) => keys[i]!);
      sources.keys.set(
        name,
        keys.map((k, i) => (signers[i]?.key && 'pem' in k ? trustedKeyOf(k.pem) : undefined)),
      );
      selector = selectorSummary(parsed.value.spec);
      const globs = parsed.value.spec.repositories;
      if (globs)
        matched = [...sources.repositories()].filter((r) => globs.some((g) => globMatches(g, r))).length;
    }
    const ready = problem
      ? {
          type: 'Ready',
          status: 'False' as const,
          reason: problem.reason,
          message: problem.message.slice(0, 1024),
        }
      : { type: 'Ready', status: 'True' as const, reason: 'Valid', message: 'The pin is in force.' };
    const desired: SignaturePinStatus = {
      ...current,
      observedGeneration: generation,
      selector,
      matchedRepositories: matched,
      conditions: setCondition(current?.conditions, { ...ready, observedGeneration: generation }, new Date()),
    };
    if (!sameContent(desired, current)) {
      await deps.applier.applyStatus(signaturePinKind.plural, signaturePinKind.kind, name, desired);
      const wasReady = current?.conditions?.find((c) => c.type === 'Ready');
      if (problem && (wasReady?.status !== 'False' || wasReady.reason !== problem.reason)) {
        await deps.events.record(
          { apiVersion: API_VERSION, kind: signaturePinKind.kind, name, uid: obj.metadata?.uid },
          { type: 'Warning', reason: problem.reason, action: 'Validate', note: problem.message },
        );
        deps.logger.warn('pin is not usable', {
          pin: name,
          reason: problem.reason,
          message: problem.message,
        });
      }
    }
    return usesSecrets ? { requeueAfterMs: SECRET_RECHECK_MS } : undefined;
  };

  // Inline keys are known from the cache at once, on every replica, before any digest is judged;
  // keys from Secrets follow when the pin is reconciled.
  informer.onChange((obj) => {
    const name = obj.metadata?.name ?? '';
    const parsed = informer.get(name) ? parseObject(signaturePinSchema, obj) : undefined;
    if (!parsed) return sources.keys.set(name, []);
    if (!parsed.ok) return;
    sources.keys.set(
      name,
      parsed.value.spec.signers.map((s, i) =>
        s.key?.publicKey !== undefined ? trustedKeyOf(s.key.publicKey) : sources.keys.key(name, i),
      ),
    );
  });

  return new Controller('signaturepin', async (key) => {
    try {
      return await reconcile(key);
    } catch (error) {
      throw new Error(`pin ${key}: ${describeError(error)}`, { cause: error });
    }
  }).watch(informer, (obj) => [obj.metadata?.name ?? '']);
}
