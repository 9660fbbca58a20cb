import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podImages, podSpecImages, workloadPodSpec } from './workload-images.ts';

const spec = {
  initContainers: [{ name: 'migrate', image: 'ghcr.io/acme/migrate:1' }],
  containers: [
    { name: 'api', image: 'ghcr.io/acme/api:1.4' },
    { name: 'sidecar', image: 'nginx' },
  ],
  ephemeralContainers: [{ name: 'debug', image: 'busybox@sha256:' + '1'.repeat(64) }],
};

describe('workload images', () => {
  it('lists init, regular and ephemeral containers in spec order', () => {
    expect(podSpecImages(spec).map((u) => `${u.kind}/${u.container}=${u.image}`)).toEqual([
      'init/migrate=ghcr.io/acme/migrate:1',
      'container/api=ghcr.io/acme/api:1.4',
      'container/sidecar=nginx',
      'ephemeral/debug=busybox@sha256:' + '1'.repeat(64),
    ]);
    expect(podSpecImages(undefined)).toEqual([]);
  });

  it('pairs each container with the imageID its status reports, by kind and name', () => {
    const pulled = 'ghcr.io/acme/api@sha256:' + '2'.repeat(64);
    const pod: V1Pod = {
      spec,
      status: {
        containerStatuses: [
          { name: 'api', image: 'ghcr.io/acme/api:1.4', imageID: pulled, ready: true, restartCount: 0 },
          { name: 'sidecar', image: 'nginx', imageID: '', ready: false, restartCount: 0 },
        ],
        // Same name as a regular container, different kind: must not be confused.
        initContainerStatuses: [
          { name: 'api', image: 'x', imageID: 'sha256:' + '3'.repeat(64), ready: true, restartCount: 0 },
        ],
      },
    };
    const uses = podImages(pod);
    expect(uses.find((u) => u.container === 'api')?.imageID).toBe(pulled);
    expect(uses.find((u) => u.container === 'sidecar')?.imageID).toBeUndefined();
    expect(uses.find((u) => u.container === 'migrate')?.imageID).toBeUndefined();
  });

  it.each([
    ['Deployment', { spec: { template: { spec } } }, 4],
    ['StatefulSet', { spec: { template: { spec } } }, 4],
    ['CronJob', { spec: { jobTemplate: { spec: { template: { spec } } } } }, 4],
    ['CronJob', { spec: { template: { spec } } }, 0],
    ['Job', {}, 0],
  ] as const)('finds the pod template of a %s', (kind, obj, count) => {
    expect(podSpecImages(workloadPodSpec(kind, obj)).length).toBe(count);
  });
});
