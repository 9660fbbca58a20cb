import { describe, expect, it } from 'vitest';
import { requestLabels } from './request-metrics.ts';

describe('requestLabels', () => {
  it.each<[string, string, string, string]>([
    ['GET', 'https://k/api/v1/pods', 'list', 'pods'],
    ['GET', 'https://k/api/v1/pods?watch=true&resourceVersion=1', 'watch', 'pods'],
    ['GET', 'https://k/api/v1/namespaces/ns/secrets/pull', 'get', 'secrets'],
    [
      'PATCH',
      'https://k/apis/signwarden.dev/v1alpha1/signingbaselines/x?fieldManager=s',
      'patch',
      'signingbaselines',
    ],
    [
      'PATCH',
      'https://k/apis/signwarden.dev/v1alpha1/driftfindings/x/status',
      'patch',
      'driftfindings/status',
    ],
    ['DELETE', 'https://k/apis/signwarden.dev/v1alpha1/driftfindings/x', 'delete', 'driftfindings'],
    ['POST', 'https://k/apis/events.k8s.io/v1/namespaces/ns/events', 'create', 'events'],
    ['PUT', 'https://k/apis/coordination.k8s.io/v1/namespaces/ns/leases/l', 'update', 'leases'],
    ['GET', 'https://k/apis/apps/v1/deployments', 'list', 'deployments'],
    ['GET', 'https://k/apis/signwarden.dev/v1alpha1/signaturepins', 'list', 'signaturepins'],
  ])('%s %s is %s %s', (method, url, verb, resource) => {
    expect(requestLabels(method, url)).toEqual({ verb, resource });
  });
});
