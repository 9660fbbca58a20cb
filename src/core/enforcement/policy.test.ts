import { describe, expect, it } from 'vitest';
import { celImageReference } from './cel-canonical.ts';
import { generatePolicy } from './policy.ts';

const options = { operatorNamespace: 'signwarden-system', operatorServiceAccount: 'signwarden' };
type Spec = {
  failurePolicy: string;
  paramKind: unknown;
  matchConstraints: { resourceRules: { apiGroups: string[]; resources: string[]; operations: string[] }[] };
  matchConditions: { name: string; expression: string }[];
  variables: { name: string; expression: string }[];
  validations: { expression: string; messageExpression: string }[];
  auditAnnotations: unknown[];
};
const specOf = (o: Record<string, unknown>) => o.spec as Spec;
const bindingSpec = (o: Record<string, unknown>) =>
  o.spec as {
    policyName: string;
    validationActions: string[];
    paramRef: unknown;
    matchResources: { namespaceSelector: { matchExpressions: unknown[] } };
  };

describe('generatePolicy', () => {
  const generated = generatePolicy(options);
  const spec = specOf(generated.policy);

  it('fails closed, with EnforcementParameters as its parameters', () => {
    expect(spec.failurePolicy).toBe('Fail');
    expect(spec.paramKind).toEqual({ apiVersion: 'signwarden.dev/v1alpha1', kind: 'EnforcementParameters' });
  });

  it('gates Pods (create, update, ephemeral containers) and checks workload templates', () => {
    const rules = spec.matchConstraints.resourceRules;
    expect(rules.flatMap((r) => r.resources).sort()).toEqual(
      [
        'cronjobs',
        'daemonsets',
        'deployments',
        'jobs',
        'pods',
        'pods/ephemeralcontainers',
        'replicasets',
        'replicationcontrollers',
        'statefulsets',
      ].sort(),
    );
    for (const rule of rules) expect(rule.operations).toEqual(['CREATE', 'UPDATE']);
  });

  it('binds deny and warn namespaces, per-namespace parameters that must exist, exclusions', () => {
    const [deny, warn] = generated.bindings.map(bindingSpec);
    expect(deny?.validationActions).toEqual(['Deny']);
    expect(warn?.validationActions).toEqual(['Warn', 'Audit']);
    for (const [binding, mode] of [
      [deny, 'deny'],
      [warn, 'warn'],
    ] as const) {
      expect(binding?.policyName).toBe('signwarden-enforcement');
      expect(binding?.paramRef).toEqual({ name: 'signwarden-enforcement', parameterNotFoundAction: 'Deny' });
      expect(binding?.matchResources.namespaceSelector.matchExpressions).toEqual([
        { key: 'signwarden.dev/enforcement', operator: 'In', values: [mode] },
        {
          key: 'kubernetes.io/metadata.name',
          operator: 'NotIn',
          values: ['kube-system', 'signwarden-system'],
        },
      ]);
    }
  });

  it('takes configured exclusions and names', () => {
    const custom = generatePolicy({
      ...options,
      excludedNamespaces: ['infra'],
      name: 'sw',
      parametersName: 'sw-params',
    });
    const binding = bindingSpec(custom.bindings[0]);
    expect(binding.paramRef).toEqual({ name: 'sw-params', parameterNotFoundAction: 'Deny' });
    expect(binding.matchResources.namespaceSelector.matchExpressions[1]).toEqual({
      key: 'kubernetes.io/metadata.name',
      operator: 'NotIn',
      values: ['infra'],
    });
    expect(custom.guard.policy).toMatchObject({
      spec: { matchConstraints: { resourceRules: [{ resourceNames: ['sw-params'] }] } },
    });
  });

  it('canonicalizes in CEL every image not listed as admitted as written, and reports the first violation with a count', () => {
    const variable = (name: string) => spec.variables.find((v) => v.name === name)?.expression ?? '';
    expect(variable('undecided')).toContain('in variables.admitted');
    expect(variable('undecided')).not.toContain(celImageReference('i'));
    expect(variable('references')).toBe(`variables.undecided.map(i, ${celImageReference('i')})`);
    expect(spec.validations[0]?.expression).toBe('size(variables.violations) == 0');
    expect(spec.validations[0]?.messageExpression).toContain('more');
    expect(spec.auditAnnotations).toHaveLength(1);
  });

  it('skips requests whose images are all listed as admitted as written, before any variable or canonicalization', () => {
    const [condition, ...more] = spec.matchConditions;
    expect(more).toEqual([]);
    // Match conditions cannot read variables; the parameters' map is read directly.
    expect(condition?.expression).not.toContain('variables.');
    expect(condition?.expression).toContain('params.spec.?repositories');
    expect(condition?.expression).toContain('in params.spec.?admitted.orValue({})');
    expect(condition?.expression).not.toContain(celImageReference('i'));
    for (const field of ['containers', 'initContainers', 'ephemeralContainers'])
      expect(condition?.expression).toContain(`.?${field}.orValue([])`);
  });

  it('bakes --require-digests into the policy', () => {
    const violations = (o: Record<string, unknown>) =>
      specOf(o).variables.find((v) => v.name === 'violations')?.expression ?? '';
    const undecided = (o: Record<string, unknown>) =>
      specOf(o).variables.find((v) => v.name === 'undecided')?.expression ?? '';
    const strict = generatePolicy({ ...options, requireDigests: true }).policy;
    expect(violations(strict)).not.toBe(violations(generated.policy));
    // No tag is admitted, not even one listed as admitted.
    expect(violations(strict)).not.toContain('.?tags[');
    expect(undecided(strict)).not.toContain('.?tags[');
    expect(undecided(generated.policy)).toContain('.?tags[');
    const condition = (o: Record<string, unknown>) => specOf(o).matchConditions[0]?.expression ?? '';
    expect(condition(strict)).not.toContain('.?tags[');
    expect(condition(generated.policy)).toContain('.?tags[');
  });

  it('lets only the operator write the parameters', () => {
    expect(generated.guard.policy).toMatchObject({
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ['signwarden.dev'],
              apiVersions: ['*'],
              resources: ['enforcementparameters'],
              resourceNames: ['signwarden-enforcement'],
              operations: ['CREATE', 'UPDATE'],
            },
          ],
        },
        validations: [
          { expression: 'request.userInfo.username == "system:serviceaccount:signwarden-system:signwarden"' },
        ],
      },
    });
  });
});

describe('celImageReference', () => {
  it('evaluates its input once and uses no cel.bind (the API server has none)', () => {
    const expr = celImageReference('object.x');
    expect(expr.match(/object\.x/g)).toHaveLength(1);
    expect(expr).not.toContain('cel.bind');
  });
});
