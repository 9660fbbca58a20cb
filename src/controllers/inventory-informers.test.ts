import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ResilientInformer } from '../kube/informer.ts';
import type { InventoryKind } from './inventory-informers.ts';
import { workloadEventTarget } from './inventory-informers.ts';

/** Pod and Deployment informers holding any object asked for. */
const informers = new Map<InventoryKind, ResilientInformer<KubernetesObject>>(
  (['Pod', 'Deployment'] as const).map((kind) => [
    kind,
    {
      get: (name: string) => ({ metadata: { name, uid: `uid-${name}` } }),
    } as unknown as ResilientInformer<KubernetesObject>,
  ]),
);

describe('workloadEventTarget', () => {
  it.each<[string, { kind: string; namespace: string; name: string }, object | undefined]>([
    [
      'names a workload the informer holds',
      { kind: 'Deployment', namespace: 'ns', name: 'api' },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', namespace: 'ns', uid: 'uid-api' },
    ],
    // A tag of a watched repository is no object: its findings raise no event.
    [
      'has none for a registry tag',
      { kind: 'RegistryTag', namespace: '', name: 'ghcr.io/acme/api:v1' },
      undefined,
    ],
  ])('%s', (_, workload, target) => {
    expect(workloadEventTarget(informers, workload)).toEqual(target);
  });
});
