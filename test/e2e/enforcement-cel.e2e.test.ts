// The generated admission policy against a real API server: its CEL canonicalization agrees with the
// TypeScript canonicalizer on every shared vector, and the policy decides as docs/enforcement.md says.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { celImageReference } from '../../src/core/enforcement/cel-canonical.ts';
import type { GuardedRepository } from '../../src/core/enforcement/parameters.ts';
import { generateParameters } from '../../src/core/enforcement/parameters.ts';
import { generatePolicy } from '../../src/core/enforcement/policy.ts';
import { installCrds } from './harness/crds.ts';
import type { Finding } from '../../src/core/continuity/decide.ts';
import { parseImageReference } from '../../src/core/image-reference.ts';
import { kubectl } from './harness/kubectl.ts';
import { eventually } from './harness/poll.ts';

interface Vector {
  input: string;
  canonical?: string;
  digest?: string;
  tag?: string;
  error?: true;
}
const vectors = JSON.parse(
  readFileSync(new URL('../vectors/image-references.json', import.meta.url), 'utf8'),
) as Vector[];

const suffix = randomBytes(4).toString('hex');
const operator = { namespace: `signwarden-e2e-${suffix}`, serviceAccount: 'enforcement' };
const asOperator = `--as=system:serviceaccount:${operator.namespace}:${operator.serviceAccount}`;
const generated = generatePolicy({
  name: `signwarden-e2e-${suffix}`,
  operatorNamespace: operator.namespace,
  operatorServiceAccount: operator.serviceAccount,
});
const rbac = [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: `signwarden-e2e-parameters-${suffix}` },
    rules: [
      {
        apiGroups: ['signwarden.dev'],
        resources: ['enforcementparameters'],
        verbs: ['get', 'create', 'update', 'patch'],
      },
    ],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `signwarden-e2e-parameters-${suffix}` },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: `signwarden-e2e-parameters-${suffix}`,
    },
    subjects: [
      {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'User',
        name: `system:serviceaccount:${operator.namespace}:${operator.serviceAccount}`,
      },
    ],
  },
];
const clusterObjects = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [generated.policy, ...generated.bindings, generated.guard.policy, generated.guard.binding, ...rbac],
});

const namespaces: string[] = [];
async function freshNamespace(labels: Record<string, string> = {}): Promise<string> {
  const name = `enforce-${randomBytes(4).toString('hex')}`;
  const created = await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }),
  });
  expect(created.code, created.stderr).toBe(0);
  namespaces.push(name);
  return name;
}

/**
 * Publishes the parameters of `repositories` in `namespace`; `byRepository`: bounded by what they
 * take listed by reference (the bound keeps room for the counts), so that they are listed by
 * repository.
 */
async function publish(
  namespace: string,
  repositories: readonly GuardedRepository[],
  layout: 'byReference' | 'byRepository' = 'byReference',
): Promise<void> {
  const unbounded = generateParameters({ namespace, repositories, maxBytes: Number.POSITIVE_INFINITY });
  const maxBytes = layout === 'byRepository' ? unbounded.bytes : undefined;
  const { object, overflow } = generateParameters({ namespace, repositories, maxBytes });
  expect(overflow).toBe(false);
  expect(Object.keys(object.spec.admitted ?? {}).length === 0).toBe(
    layout === 'byRepository' || Object.keys(unbounded.object.spec.admitted ?? {}).length === 0,
  );
  const applied = await kubectl(['apply', '--server-side', asOperator, '-f', '-'], {
    input: JSON.stringify(object),
  });
  expect(applied.code, applied.stderr).toBe(0);
}

const pod = (namespace: string, image: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probe', namespace },
    spec: { containers: [{ name: 'c', image }] },
  });
const dryRun = (object: string) => kubectl(['create', '--dry-run=server', '-f', '-'], { input: object });

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function bounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

const DIGEST = `sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`;
const VERIFIED = `sha256:${'1'.repeat(64)}`;
const VIOLATING = `sha256:${'2'.repeat(64)}`;
const finding = { kind: 'Unsigned' } as Finding;
/** Guarded repositories for the vector run: verified only what the comments say. */
const guarded: GuardedRepository[] = [
  {
    repository: 'docker.io/library/nginx',
    source: 'signingbaseline/nginx-e2e',
    expected: ['https://github.com/nginx/docker/.github/workflows/release.yml@refs/tags/*'],
    // The vectors' nginx digest is verified; so is tag 1.27, which resolved to it.
    digests: [{ digest: DIGEST, decision: { admit: true } }],
    tags: [{ tag: '1.27', digest: DIGEST }],
  },
  ...[
    'ghcr.io/acme/api',
    'localhost:5000/app',
    '[::1]/app',
    'registry.example.com:5000/team/app',
    'docker.io/user/app',
  ].map((repository) => ({
    repository,
    source: 'signaturepin/e2e',
    expected: ['key sha256:ab12'],
    digests: [],
  })),
];

/**
 * Everything a valid vector names, listed as admitted: its digest, or its tag (resolved to DIGEST),
 * in its canonical repository. Images written exactly as listed are admitted without being
 * canonicalized (policy.ts), so this holds that shortcut to the same answers.
 */
const listedEverything: GuardedRepository[] = (() => {
  const byRepository = new Map<string, { digests: Set<string>; tags: Set<string> }>();
  for (const v of vectors) {
    const parsed = parseImageReference(v.input);
    if ('error' in parsed) continue;
    const entry = byRepository.get(parsed.canonical) ?? { digests: new Set([DIGEST]), tags: new Set() };
    byRepository.set(parsed.canonical, entry);
    if (parsed.digest !== undefined) entry.digests.add(parsed.digest);
    else entry.tags.add(parsed.tag ?? 'latest');
  }
  return [...byRepository].map(([repository, { digests, tags }]) => ({
    repository,
    source: 'signaturepin/e2e',
    expected: ['key sha256:ab12'],
    digests: [...digests].map((digest) => ({ digest, decision: { admit: true } })),
    tags: [...tags].map((tag) => ({ tag, digest: DIGEST })),
  }));
})();
/** Spellings next to what `listedEverything` lists that must not be taken for it. */
const nearMisses = [
  `docker.io/library/nginx@${DIGEST}x`,
  `docker.io/library/nginx@${DIGEST}@${DIGEST}`,
  `docker.io/library/nginx/@${DIGEST}`,
  `docker.io/library/nginx:@${DIGEST}`,
  `docker.io/library/nginx:1.27@${DIGEST}`,
  `docker.io/library/nginx:-bad@${DIGEST}`,
  `docker.io/library/nginx:${'a'.repeat(129)}@${DIGEST}`,
  `docker.io/library/nginx:v@1@${DIGEST}`,
  `nginx:1.27@${DIGEST}`,
  `DOCKER.IO/library/nginx@${DIGEST}`,
  `docker.io/library/nginx@${DIGEST.toUpperCase()}`,
  'docker.io/library/nginx:1.27:1.27',
  'docker.io/library/nginx:',
  'docker.io/library/nginx:nope',
  'ghcr.io/acme/api:v1@',
];

/** What the generated policy must decide for an image with `published` parameters, from the TypeScript canonicalizer. */
function expectedAdmission(image: string, published: readonly GuardedRepository[]): boolean {
  const parsed = parseImageReference(image);
  if ('error' in parsed) return false; // what cannot be canonicalized is denied where enforced
  const repo = published.find((g) => g.repository === parsed.canonical);
  if (!repo) return true;
  if (parsed.digest !== undefined)
    return repo.digests.some((d) => d.digest === parsed.digest && d.decision.admit);
  return (repo.tags ?? []).some((t) => t.tag === (parsed.tag ?? 'latest'));
}

beforeAll(async () => {
  await installCrds();
  const created = await kubectl(['create', 'namespace', operator.namespace]);
  expect(created.code, created.stderr).toBe(0);
  const applied = await kubectl(['apply', '-f', '-'], { input: clusterObjects });
  expect(applied.code, applied.stderr).toBe(0);
  // The API server loads policies asynchronously: wait until a labelled namespace without
  // parameters is refused.
  const namespace = await freshNamespace({ 'signwarden.dev/enforcement': 'deny' });
  await eventually(
    async () => {
      const denied = await dryRun(pod(namespace, 'nginx'));
      expect(denied.stderr).toContain('no params found');
    },
    { timeoutMs: 30_000 },
  );
});

afterAll(async () => {
  await kubectl(['delete', '--ignore-not-found', '-f', '-'], { input: clusterObjects });
  await kubectl(['delete', 'namespace', '--wait=false', operator.namespace, ...namespaces]);
});

describe('CEL canonicalization', () => {
  it('agrees with the TypeScript canonicalizer on every vector', async () => {
    // A test-only policy that always fails, its message revealing what the CEL computed. It reads
    // the image from a ConfigMap, which takes any string (a Pod refuses some before admission).
    const namespace = await freshNamespace();
    const name = `signwarden-e2e-canonical-${suffix}`;
    const probe = [
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] },
            ],
          },
          variables: [{ name: 'r', expression: celImageReference('object.data.image') }],
          validations: [
            {
              expression: 'false',
              messageExpression:
                '"CEL<<" + variables.r.valid + "|" + variables.r.key + "|" + variables.r.digest + "|" + variables.r.tag + ">>END"',
            },
          ],
        },
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name },
        spec: {
          policyName: name,
          validationActions: ['Deny'],
          matchResources: {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
          },
        },
      },
    ];
    const input = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: probe });
    expect((await kubectl(['apply', '-f', '-'], { input })).code).toBe(0);
    try {
      const configMap = (image: string) =>
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'probe', namespace },
          data: { image },
        });
      const computed = async (image: string): Promise<string> => {
        const { stderr } = await dryRun(configMap(image));
        return /CEL<<(.*?)>>END/s.exec(stderr)?.[1] ?? `no CEL answer: ${stderr.trim()}`;
      };
      await eventually(async () => expect(await computed('nginx')).toBe('true|docker.io/library/nginx||'), {
        timeoutMs: 30_000,
      });
      const answers = await bounded(vectors, 16, (v) => computed(v.input));
      const mismatches = vectors
        .map((v, i) => ({
          input: v.input,
          want: v.error ? '|||' : `true|${v.canonical}|${v.digest ?? ''}|${v.tag ?? ''}`,
          got: answers[i],
        }))
        .filter((m) => m.want !== m.got);
      expect(mismatches).toEqual([]);
      expect(vectors).toHaveLength(125);
    } finally {
      await kubectl(['delete', '-f', '-'], { input });
    }
  });

  it.each([
    ['a few repositories guarded', guarded, 'byReference'],
    ['everything the vectors name listed as admitted', listedEverything, 'byReference'],
    [
      'everything listed, admitted digests by repository (too many to list by reference)',
      listedEverything,
      'byRepository',
    ],
  ] as const)(
    'decides every vector as a Pod the way the TypeScript canonicalizer implies: %s',
    async (_, published, layout) => {
      const namespace = await freshNamespace({ 'signwarden.dev/enforcement': 'deny' });
      await publish(namespace, published, layout);
      await eventually(
        async () => {
          const admitted = await dryRun(pod(namespace, 'nginx:1.27'));
          expect(admitted.code, admitted.stderr).toBe(0);
        },
        {
          timeoutMs: 30_000,
        },
      );
      const inputs = [...vectors.map((v) => v.input), ...nearMisses];
      const results = await bounded(inputs, 16, async (input) => ({
        input,
        result: await dryRun(pod(namespace, input)),
      }));
      const wrong: string[] = [];
      let rejectedBeforeAdmission = 0;
      for (const { input, result } of results) {
        const admitted = result.code === 0;
        if (admitted !== expectedAdmission(input, published))
          wrong.push(`${JSON.stringify(input)}: ${result.stderr.trim()}`);
        // Pod validation runs before admission: it refuses some invalid images on its own.
        if (!admitted && !result.stderr.includes('signwarden')) {
          expect('error' in parseImageReference(input), result.stderr).toBe(true);
          expect(result.stderr).toMatch(/Required value|leading or trailing whitespace/);
          rejectedBeforeAdmission++;
        }
      }
      expect(wrong).toEqual([]);
      expect(rejectedBeforeAdmission).toBe(4); // "", " nginx", "nginx ", "nginx\n"
    },
  );
});

describe('the generated policy', () => {
  const nginx: GuardedRepository = {
    repository: 'docker.io/library/nginx',
    source: 'signingbaseline/nginx-e2e',
    expected: ['https://github.com/nginx/docker/.github/workflows/release.yml@refs/tags/*'],
    digests: [
      { digest: VERIFIED, decision: { admit: true } },
      { digest: VIOLATING, decision: { admit: false, finding }, findingName: 'nginx-unsigned-e2e' },
    ],
  };
  // No baseline or pin: only its Invalid digest is published.
  const unguarded: GuardedRepository = {
    repository: 'ghcr.io/someone/tampered',
    guarded: false,
    source: 'driftfindings',
    expected: [],
    digests: [
      { digest: VIOLATING, decision: { admit: false, finding }, findingName: 'tampered-invalid-e2e' },
    ],
  };
  const deployment = (namespace: string, image: string) =>
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace },
      spec: {
        selector: { matchLabels: { app: 'app' } },
        template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'app', image }] } },
      },
    });
  let deny: string;
  let warn: string;

  beforeAll(async () => {
    deny = await freshNamespace({ 'signwarden.dev/enforcement': 'deny' });
    warn = await freshNamespace({ 'signwarden.dev/enforcement': 'warn' });
    await publish(deny, [nginx, unguarded]);
    await publish(warn, [nginx, unguarded]);
    await eventually(
      async () => {
        const admitted = await dryRun(pod(deny, `nginx@${VERIFIED}`));
        expect(admitted.code, admitted.stderr).toBe(0);
      },
      {
        timeoutMs: 30_000,
      },
    );
  });

  it('denies an unverified digest of a guarded repository, naming image, repository, signers and command', async () => {
    const image = `index.docker.io/library/nginx@sha256:${'9'.repeat(64)}`;
    const denied = await dryRun(pod(deny, image));
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(`image "${image}" of repository docker.io/library/nginx`);
    expect(denied.stderr).toContain('was never verified');
    expect(denied.stderr).toContain(
      'expected signers: https://github.com/nginx/docker/.github/workflows/release.yml',
    );
    expect(denied.stderr).toContain('kubectl get signingbaseline/nginx-e2e');
  });

  it('denies a digest known to violate, pointing at its finding, however the repository is spelled', async () => {
    for (const spelling of ['nginx', 'docker.io/library/nginx']) {
      const denied = await dryRun(pod(deny, `${spelling}@${VIOLATING}`));
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain('kubectl get driftfinding nginx-unsigned-e2e');
    }
  });

  it('admits a verified digest, however the repository is spelled', async () => {
    for (const spelling of [
      'docker.io/library/nginx', // exactly as listed: admitted without canonicalizing
      'nginx',
      'docker.io/nginx',
      'DOCKER.IO/library/nginx',
      'registry-1.docker.io:443/nginx',
    ])
      expect((await dryRun(pod(deny, `${spelling}@${VERIFIED}`))).code).toBe(0);
  });

  it('admits a repository it has never seen', async () => {
    const admitted = await dryRun(pod(deny, 'ghcr.io/someone/new:latest'));
    expect(admitted.code, admitted.stderr).toBe(0);
  });

  it('denies a digest known to violate in a repository with no history, and nothing else of it', async () => {
    const denied = await dryRun(pod(deny, `ghcr.io/someone/tampered@${VIOLATING}`));
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('kubectl get driftfinding tampered-invalid-e2e');
    expect((await dryRun(pod(deny, `ghcr.io/someone/tampered@${VERIFIED}`))).code).toBe(0);
    expect((await dryRun(pod(deny, 'ghcr.io/someone/tampered:v1'))).code).toBe(0);
  });

  it('denies a tag that did not resolve to a verified digest', async () => {
    const denied = await dryRun(pod(deny, 'nginx:1.27'));
    expect(denied.stderr).toContain('tag 1.27 has not resolved to a verified digest');
  });

  it('checks ephemeral containers and only what an update introduces', async () => {
    const namespace = await freshNamespace();
    const created = await kubectl(['create', '-f', '-'], { input: pod(namespace, 'nginx:unverified') });
    expect(created.code, created.stderr).toBe(0);
    // The Pod predates enforcement: labelling the namespace does not evict it, and a metadata
    // update of it (same images) is admitted.
    await publish(namespace, [nginx]);
    expect((await kubectl(['label', 'namespace', namespace, 'signwarden.dev/enforcement=deny'])).code).toBe(
      0,
    );
    await eventually(
      async () => {
        const denied = await dryRun(pod(namespace, 'nginx:other'));
        expect(denied.stderr).toContain('signwarden');
      },
      { timeoutMs: 30_000 },
    );
    const labelled = await kubectl(['label', 'pod', 'probe', '--namespace', namespace, 'touched=yes']);
    expect(labelled.code, labelled.stderr).toBe(0);
    const debug = await kubectl([
      'patch',
      'pod',
      'probe',
      '--namespace',
      namespace,
      '--subresource=ephemeralcontainers',
      '--type=strategic',
      '-p',
      JSON.stringify({
        spec: { ephemeralContainers: [{ name: 'debug', image: `nginx@sha256:${'8'.repeat(64)}` }] },
      }),
    ]);
    expect(debug.code).not.toBe(0);
    expect(debug.stderr).toContain('was never verified');
  });

  it('warns instead of denying in a warn namespace', async () => {
    const warned = await dryRun(pod(warn, `nginx@sha256:${'9'.repeat(64)}`));
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toMatch(/Warning: .*was never verified/);
  });

  it('does nothing in an unlabelled namespace', async () => {
    const namespace = await freshNamespace();
    const admitted = await dryRun(pod(namespace, `nginx@sha256:${'9'.repeat(64)}`));
    expect(admitted.code, admitted.stderr).toBe(0);
    expect(admitted.stderr).not.toContain('Warning');
  });

  it('fails closed in a labelled namespace without parameters', async () => {
    const namespace = await freshNamespace({ 'signwarden.dev/enforcement': 'deny' });
    const denied = await dryRun(pod(namespace, 'ghcr.io/someone/new:latest'));
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('no params found');
  });

  it('denies a template naming a digest known to violate, admits one naming a digest not seen yet', async () => {
    const denied = await dryRun(deployment(deny, `nginx@${VIOLATING}`));
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('kubectl get driftfinding nginx-unsigned-e2e');
    const unseen = await dryRun(deployment(deny, `nginx@sha256:${'7'.repeat(64)}`));
    expect(unseen.code, unseen.stderr).toBe(0);
  });

  it('lets only the operator write the parameters', async () => {
    const forged = generateParameters({ namespace: deny, repositories: [] }).object;
    const tenant = await kubectl(['apply', '-f', '-'], { input: JSON.stringify(forged) });
    expect(tenant.code).not.toBe(0);
    expect(tenant.stderr).toContain('only signwarden');
  });
});
