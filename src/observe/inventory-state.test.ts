import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ObservedImage } from '../controllers/inventory-controller.ts';
import type { Observation } from '../core/observation.ts';
import { createLogger } from '../log/logger.ts';
import { InventoryState } from './inventory-state.ts';

const REPO = 'ghcr.io/acme/api';
const digest = (n: number) => `sha256:${String(n).repeat(64)}`;
const image = (workload: string, n: number, posture: Observation['posture'] = 'Signed'): ObservedImage => ({
  workload,
  use: { container: 'main', kind: 'container', image: `${REPO}@${digest(n)}` },
  repository: REPO,
  observation: { digest: digest(n), posture, signers: [] },
});

function state() {
  const inventory = new InventoryState(
    createLogger('error', {}, () => undefined),
    new Registry(),
  );
  const changed: string[] = [];
  let sets = 0;
  inventory.onChange((repository) => changed.push(repository));
  inventory.onRepositoriesChange(() => sets++);
  return { inventory, changed, sets: () => sets };
}

describe('InventoryState', () => {
  it('lists the digests of a repository oldest first, with the workloads using them', () => {
    const { inventory } = state();
    inventory.record('Deployment/ns/b', [image('Deployment/ns/b', 2)]);
    inventory.record('Pod/ns/a', [image('Pod/ns/a', 1), image('Pod/ns/a', 2)]);
    expect(inventory.uses(REPO)).toEqual([
      {
        observation: image('', 2).observation,
        workloads: [
          { kind: 'Deployment', namespace: 'ns', name: 'b' },
          { kind: 'Pod', namespace: 'ns', name: 'a' },
        ],
        fresh: false,
      },
      {
        observation: image('', 1).observation,
        workloads: [{ kind: 'Pod', namespace: 'ns', name: 'a' }],
        fresh: false,
      },
    ]);
  });

  it('marks digests first seen after the view became complete as fresh', () => {
    const { inventory } = state();
    inventory.record('Pod/ns/a', [image('Pod/ns/a', 1)]);
    expect(inventory.completeFor(() => ['Pod/ns/a'])).toBe(true);
    inventory.record('Pod/ns/b', [image('Pod/ns/b', 2)]);
    expect(inventory.uses(REPO).map((u) => [u.observation.digest, u.fresh])).toEqual([
      [digest(1), false],
      [digest(2), true],
    ]);
  });

  it('names a workload whose name has slashes (a registry tag) by its first two slashes only', () => {
    const { inventory } = state();
    const workload = `RegistryTag//${REPO}:v1`;
    inventory.record(workload, [image(workload, 1)]);
    expect(inventory.uses(REPO)[0]?.workloads).toEqual([
      { kind: 'RegistryTag', namespace: '', name: `${REPO}:v1` },
    ]);
  });

  it('lists the tags workloads name with the digest each resolved to; digest references are not tags', () => {
    const { inventory } = state();
    const tagged = (workload: string, spelling: string, n: number): ObservedImage => ({
      ...image(workload, n),
      use: { container: 'main', kind: 'container', image: spelling },
    });
    inventory.record('Pod/ns/a', [tagged('Pod/ns/a', `${REPO}:v1`, 1)]);
    inventory.record('Pod/ns/b', [tagged('Pod/ns/b', REPO, 2), image('Pod/ns/b', 3)]);
    inventory.record('Pod/ns/c', [tagged('Pod/ns/c', `${REPO}:v2@${digest(4)}`, 4)]);
    expect(inventory.tagsOf(REPO)).toEqual([
      { tag: 'v1', digest: digest(1) },
      { tag: 'latest', digest: digest(2) },
    ]);
    expect(inventory.tagsOf('ghcr.io/other')).toEqual([]);
  });

  it('prefers a resting observation over Checking for a digest two workloads share', () => {
    const { inventory } = state();
    inventory.record('Pod/ns/a', [image('Pod/ns/a', 1, 'Checking')]);
    inventory.record('Pod/ns/b', [image('Pod/ns/b', 1, 'Unsigned')]);
    expect(inventory.uses(REPO).map((u) => u.observation.posture)).toEqual(['Unsigned']);
  });

  it('tells which repository changed, only when what it uses changed', () => {
    const { inventory, changed, sets } = state();
    inventory.record('Pod/ns/a', [image('Pod/ns/a', 1)]);
    inventory.record('Pod/ns/a', [image('Pod/ns/a', 1)]);
    expect(changed).toEqual([REPO]);
    inventory.record('Pod/ns/a', [image('Pod/ns/a', 1, 'Unsigned')]);
    expect(changed).toEqual([REPO, REPO]);
    expect(sets()).toBe(1);
    inventory.remove('Pod/ns/a');
    expect(changed).toEqual([REPO, REPO, REPO]);
    expect(sets()).toBe(2);
    expect([...inventory.repositories()]).toEqual([]);
    expect(inventory.uses(REPO)).toEqual([]);
  });

  it('is complete once every listed workload was observed, and stays so', () => {
    const { inventory } = state();
    inventory.record('Pod/ns/a', []);
    expect(inventory.completeFor(() => ['Pod/ns/a', 'Pod/ns/b'])).toBe(false);
    inventory.record('Pod/ns/b', [image('Pod/ns/b', 1)]);
    expect(inventory.completeFor(() => ['Pod/ns/a', 'Pod/ns/b'])).toBe(true);
    expect(inventory.completeFor(() => ['Pod/ns/c'])).toBe(true);
  });
});
