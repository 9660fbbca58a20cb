// `make bench`, third part: what enforcement costs, against a real control plane (kube-apiserver,
// etcd, kube-controller-manager) on loopback, with the objects the operator publishes — the policy,
// bindings and guard from generatePolicy, the parameters from generateParameters:
//  1. the EnforcementParameters for 1,000 digests (200 repositories) and 10,000 digests (2,000
//     repositories), each with its tags: generation time, verdicts listed or dropped, bytes generated
//     and as the API server returns them (managedFields included), created as the operator;
//  2. Pod-create latency (POST → 201) in an unlabelled namespace and in `deny` namespaces with the
//     1,000- and 10,000-digest parameters, the namespaces in turn within each round (drift cancels),
//     after a warm-up; the ratio enforced / unenforced against the goal ≤ 1.10;
//     Two more arms, in namespaces of their own, measure what the API server charges any policy: a
//     minimal policy (not signwarden's) whose match condition reads the same 1,000-digest parameters
//     and the Pod's images and is false (the floor of any policy that looks at images), and a
//     minimal policy with one validation and no parameters;
//  3. that the measurement means something: the policy denies an unverified digest and a violating
//     one, the guard refuses parameters written by anyone else, the floor policies are in force in
//     their namespaces only, and every timed Pod was admitted.
// Writes .cache/bench/enforcement-<date>.json (and .md), prints the tables. Exit code 1 if a check
// failed or a timed Pod was refused; a missed goal is reported (MISS), not a failure. Settings
// (environment): BENCH_ENFORCEMENT_PODS (500 per namespace), BENCH_ENFORCEMENT_WARMUP (30 rounds),
// BENCH_ENFORCEMENT_TIMEOUT_SECONDS (600).
import { performance } from 'node:perf_hooks';
import type { GuardedRepository, ParametersResult } from '../src/core/enforcement/parameters.ts';
import { DEFAULT_PARAMETERS_NAME, generateParameters } from '../src/core/enforcement/parameters.ts';
import { ENFORCEMENT_LABEL, generatePolicy } from '../src/core/enforcement/policy.ts';
import { API_VERSION, GROUP } from '../src/api/group.ts';
import { enforcementParametersKind } from '../src/api/enforcement-parameters.ts';
import { digestVerdict } from '../src/core/enforcement/published-verdicts.ts';
import { binaries } from '../test/e2e/harness/binaries.ts';
import { startControlPlane } from '../test/e2e/harness/control-plane.ts';
import { installCrds } from '../test/e2e/harness/crds.ts';
import { runKubectl } from '../test/e2e/harness/kubectl.ts';
import { eventually } from '../test/e2e/harness/poll.ts';
import { git, log, machine, setting, startBench, writeResults } from './common.ts';
import type { RawClient } from './enforcement-client.ts';
import { rawClient } from './enforcement-client.ts';
import {
  admittedImages,
  dockerHubShort,
  guardedRepositories,
  pod,
  unverified,
  tagOnly,
  withTags,
} from './enforcement-fixture.ts';
import type { Arm, Check, EnforcementResult, ParametersFigures } from './enforcement-report.ts';
import { FLOOR_ARM, latency, markdown, targetsOf } from './enforcement-report.ts';
import type { KubeApi } from './kube-api.ts';
import { kubeApi } from './kube-api.ts';
import { percentile } from './plan.ts';

const PODS = setting('BENCH_ENFORCEMENT_PODS', 500);
const WARMUP = setting('BENCH_ENFORCEMENT_WARMUP', 30);
const TIMEOUT_SECONDS = setting('BENCH_ENFORCEMENT_TIMEOUT_SECONDS', 600);

const OPERATOR = { namespace: 'signwarden-system', serviceAccount: 'signwarden' };
const OPERATOR_USER = `system:serviceaccount:${OPERATOR.namespace}:${OPERATOR.serviceAccount}`;
const UNENFORCED = 'bench-unenforced';
const SIZES = [
  { name: 'deny-1k', namespace: 'bench-deny-1k', digests: 1_000, repositories: 200 },
  { name: 'deny-10k', namespace: 'bench-deny-10k', digests: 10_000, repositories: 2_000 },
];
/**
 * The floor arms: a minimal ValidatingAdmissionPolicy matching Pod CREATE, bound (namespaceSelector)
 * only to the namespace labelled for it. `floor-match` has signwarden's paramKind and paramRef (the
 * 1,000-digest parameters, copied into its namespace) and a match condition that reads one field of
 * them and the Pod's images, false for every timed Pod, so that its validation is never evaluated: the
 * API server converts the Pod once, as for signwarden's policy when every image is listed.
 * `floor-noparams` has no parameters and one validation reading the Pod's containers: the API server
 * converts the Pod for each of validations, messages and audit annotations. Both admit every timed Pod.
 */
const FLOOR_LABEL = 'bench.signwarden.dev/floor';
/** Images of this registry only the floor policies deny: how the bench sees them in force (and nowhere else). */
const FLOOR_PROBE_REGISTRY = 'bench.invalid';
const FLOOR_PROBE = unverified(`${FLOOR_PROBE_REGISTRY}/floor-probe`);
const FLOORS = [
  {
    name: FLOOR_ARM,
    namespace: 'bench-floor-match',
    params: true,
    matchCondition: `params.spec.?overflow.orValue(false) == false && object.spec.containers.exists(c, c.image.startsWith("${FLOOR_PROBE_REGISTRY}/"))`,
    expression: 'false',
  },
  {
    name: 'floor-noparams',
    namespace: 'bench-floor-noparams',
    params: false,
    matchCondition: undefined,
    expression: `object.spec.containers.all(c, !c.image.startsWith("${FLOOR_PROBE_REGISTRY}/"))`,
  },
] as const;
const floorPolicyName = (floor: (typeof FLOORS)[number]) => `bench-${floor.name}`;
const ADMISSION = '/apis/admissionregistration.k8s.io/v1';
const parametersPath = (namespace: string) =>
  `/apis/${API_VERSION}/namespaces/${namespace}/${enforcementParametersKind.plural}`;
/** generateParameters is timed as the median of this many runs. */
const GENERATE_RUNS = 5;

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
/** The message of a Status the API server answered with, else the body itself. */
const message = (body: string): string => {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    return typeof status.message === 'string' ? status.message : body;
  } catch {
    return body;
  }
};
/** A denial as a table shows it: the policy's own message, without the API server's preamble. */
const shown = (text: string): string => text.replace(/^.* denied request: /, '').slice(0, 200);

// ---- the cluster's objects ----

async function createNamespaces(api: KubeApi): Promise<void> {
  const namespaces: [string, Record<string, string>][] = [
    [OPERATOR.namespace, {}],
    [UNENFORCED, {}],
    ...SIZES.map((s): [string, Record<string, string>] => [s.namespace, { [ENFORCEMENT_LABEL]: 'deny' }]),
    ...FLOORS.map((f): [string, Record<string, string>] => [f.namespace, { [FLOOR_LABEL]: f.name }]),
  ];
  for (const [name, labels] of namespaces)
    await api.json('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels },
    });
  // Pods need their namespace's default ServiceAccount (the controller manager makes it).
  for (const [name] of namespaces)
    await eventually(() => api.json('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`), {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
}

/** What the operator's role grants to write parameters: EnforcementParameters, in every namespace. */
async function grantOperator(api: KubeApi): Promise<void> {
  const name = 'signwarden-bench-parameters';
  await api.json('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: [
      {
        apiGroups: [GROUP],
        resources: [enforcementParametersKind.plural],
        verbs: ['get', 'create', 'update', 'patch'],
      },
    ],
  });
  await api.json('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name: OPERATOR.serviceAccount, namespace: OPERATOR.namespace }],
  });
}

/** The policy, its bindings and the guard, as generatePolicy makes them; resolves when the last is created. */
async function installPolicy(api: KubeApi): Promise<number> {
  const generated = generatePolicy({
    operatorNamespace: OPERATOR.namespace,
    operatorServiceAccount: OPERATOR.serviceAccount,
  });
  await api.json('POST', `${ADMISSION}/validatingadmissionpolicies`, generated.guard.policy);
  await api.json('POST', `${ADMISSION}/validatingadmissionpolicybindings`, generated.guard.binding);
  await api.json('POST', `${ADMISSION}/validatingadmissionpolicies`, generated.policy);
  for (const binding of generated.bindings)
    await api.json('POST', `${ADMISSION}/validatingadmissionpolicybindings`, binding);
  for (const floor of FLOORS) await installFloor(api, floor);
  return performance.now();
}

/** A floor arm's policy and binding (FLOORS). */
async function installFloor(api: KubeApi, floor: (typeof FLOORS)[number]): Promise<void> {
  const name = floorPolicyName(floor);
  await api.json('POST', `${ADMISSION}/validatingadmissionpolicies`, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      failurePolicy: 'Fail',
      ...(floor.params
        ? { paramKind: { apiVersion: API_VERSION, kind: enforcementParametersKind.kind } }
        : {}),
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
        ],
      },
      ...(floor.matchCondition !== undefined
        ? { matchConditions: [{ name: 'probe', expression: floor.matchCondition }] }
        : {}),
      validations: [{ expression: floor.expression, reason: 'Forbidden' }],
    },
  });
  await api.json('POST', `${ADMISSION}/validatingadmissionpolicybindings`, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: {
      policyName: name,
      validationActions: ['Deny'],
      ...(floor.params
        ? { paramRef: { name: DEFAULT_PARAMETERS_NAME, parameterNotFoundAction: 'Deny' } }
        : {}),
      matchResources: { namespaceSelector: { matchLabels: { [FLOOR_LABEL]: floor.name } } },
    },
  });
}

// ---- parameters ----

interface Published {
  size: (typeof SIZES)[number];
  repositories: GuardedRepository[];
  generated: ParametersResult;
  figures: ParametersFigures;
}

function generateTimed(
  namespace: string,
  repositories: GuardedRepository[],
): { result: ParametersResult; ms: number } {
  const times: number[] = [];
  let result: ParametersResult | undefined;
  for (let i = 0; i < GENERATE_RUNS; i++) {
    const start = performance.now();
    result = generateParameters({ namespace, repositories });
    times.push(performance.now() - start);
  }
  return { result: result!, ms: round(percentile(times, 50), 1) };
}

/** Generates, creates (as the operator: the guard admits no one else) and reads back one namespace's parameters. */
async function publish(raw: RawClient, size: (typeof SIZES)[number]): Promise<Published> {
  const repositories = guardedRepositories(size.digests, size.repositories);
  const { result: generated, ms: generateMs } = generateTimed(size.namespace, repositories);
  const { object } = generated;
  const path = parametersPath(size.namespace);
  const start = performance.now();
  const created = await raw.send('POST', path, { body: JSON.stringify(object), as: OPERATOR_USER });
  const createMs = round(performance.now() - start, 1);
  const ok = created.status === 201;
  const stored = ok ? await raw.send('GET', `${path}/${object.metadata.name}`) : undefined;
  const managedFields = stored
    ? (JSON.parse(stored.body.toString('utf8')) as { metadata: { managedFields?: unknown } }).metadata
        .managedFields
    : undefined;
  const admitted = repositories.flatMap((r) =>
    r.digests.filter((d) => d.decision.admit && !d.decision.finding),
  );
  return {
    size,
    repositories,
    generated,
    figures: {
      namespace: size.namespace,
      digests: size.digests,
      repositories: size.repositories,
      tags: repositories.reduce((n, r) => n + (r.tags?.length ?? 0), 0),
      generateMs,
      listed: object.spec.counts,
      dropped: generated.dropped,
      overflow: generated.overflow,
      admittedDigests: admitted.length,
      admittedListed: admittedImages(repositories, object.spec).length,
      specBytes: generated.bytes,
      unboundedSpecBytes: generateParameters({
        namespace: size.namespace,
        repositories,
        maxBytes: Number.POSITIVE_INFINITY,
      }).bytes,
      create: {
        status: created.status,
        ms: createMs,
        ...(ok ? {} : { error: message(created.body.toString('utf8')).slice(0, 300) }),
      },
      storedJsonBytes: stored?.body.length ?? null,
      managedFieldsJsonBytes:
        managedFields === undefined ? null : Buffer.byteLength(JSON.stringify(managedFields)),
    },
  };
}

// ---- Pods ----

type Images = { containers: [string, string]; init: string };
interface Created {
  ms: number;
  status: number;
  message: string;
}

let podNumber = 0;
async function createPod(api: KubeApi, namespace: string, images: Images, dryRun = false): Promise<Created> {
  const object = pod(`bench-${++podNumber}`, images);
  const start = performance.now();
  const res = await api.request(
    'POST',
    `/api/v1/namespaces/${namespace}/pods${dryRun ? '?dryRun=All' : ''}`,
    object,
  );
  const ms = performance.now() - start;
  return { ms, status: res.status, message: res.status === 201 ? '' : message(res.body) };
}

const only = (image: string): Images => ({ containers: [image, image], init: image });

/** A Pod of `image` in `namespace` is refused with a message containing `expect` (or admitted when `expect` is null). */
async function check(
  api: KubeApi,
  what: string,
  namespace: string,
  image: string,
  expect: string | null,
): Promise<Check> {
  const res = await createPod(api, namespace, only(image));
  const got = res.status === 201 ? 'admitted (201)' : `${res.status}: ${shown(res.message)}`;
  const pass = expect === null ? res.status === 201 : res.status !== 201 && res.message.includes(expect);
  return { what, expected: expect === null ? 'admitted' : `denied: …${expect}…`, got, pass };
}

/** Three admitted digests of distinct repositories, listed in every namespace's parameters. */
function measuredImages(published: Published[]): Images {
  const lists = published.map((p) => admittedImages(p.repositories, p.generated.object.spec));
  const common = lists[0]!.filter((image) => lists.every((l) => l.includes(image)));
  const byRepository = new Map(common.map((image) => [image.split('@')[0]!, image]));
  const [a, b, c] = [...byRepository.values()];
  if (c === undefined) throw new Error('fewer than three admitted digests are listed in every namespace');
  return { containers: [a!, b!], init: c };
}

// ---- main ----

async function main(): Promise<number> {
  const { started, date, stamp, loadAtStart, resultsDir } = startBench('enforcement', TIMEOUT_SECONDS);
  const bin = await binaries();

  log('enforcement: starting a control plane (loopback)');
  const cp = await startControlPlane();
  const api = kubeApi(cp.kubeconfig);
  const raw = rawClient(cp.kubeconfig);
  try {
    await installCrds((args) => runKubectl(cp.kubectl, cp.kubeconfig, args));
    await createNamespaces(api);
    await grantOperator(api);
    const installedAt = await installPolicy(api);
    const setupSeconds = round((Date.now() - started) / 1000, 1);

    log('1. parameters: 1,000 and 10,000 digests');
    const published: Published[] = [];
    for (const size of SIZES) published.push(await publish(raw, size));
    const usable = published.filter((p) => p.figures.create.status === 201);
    const [first] = usable;
    if (first === undefined || first.size !== SIZES[0])
      throw new Error(`the 1,000-digest parameters were refused: ${published[0]?.figures.create.error}`);
    const images = measuredImages(usable);
    const guardedRepository = first.repositories[0]!.repository;

    // Bindings and parameters reach the API server's admission through informers: wait until a deny
    // namespace denies a never-verified digest as the policy says (which needs both), and admits the
    // measured Pod, in every enforced namespace.
    for (const p of usable)
      await eventually(
        async () => {
          const denied = await createPod(api, p.size.namespace, only(unverified(guardedRepository)), true);
          if (!denied.message.includes('was never verified'))
            throw new Error(`not yet denied: ${denied.status} ${denied.message}`);
          const admitted = await createPod(api, p.size.namespace, images, true);
          if (admitted.status !== 201)
            throw new Error(`not yet admitted: ${admitted.status} ${admitted.message}`);
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      );
    const policyEffectiveMs = Math.round(performance.now() - installedAt);

    // The floor policies in force: `floor-noparams` denies the probe image; `floor-match`, bound
    // before its namespace has parameters, denies every Pod (parameterNotFoundAction: Deny) until the
    // 1,000-digest parameters are copied there (as the operator), then admits the measured Pod and
    // denies the probe image (its match condition reads both).
    const floorChecks: Check[] = [];
    for (const floor of FLOORS) {
      const name = floorPolicyName(floor);
      const denied = await eventually(
        async () => {
          const res = await createPod(api, floor.namespace, floor.params ? images : only(FLOOR_PROBE), true);
          if (res.status === 201 || !res.message.includes(`'${name}'`))
            throw new Error(`not yet denied by ${name}: ${res.status} ${res.message}`);
          return res;
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      floorChecks.push({
        what: floor.params
          ? `${floor.name}: the measured Pod, before the namespace has parameters`
          : `${floor.name}: the probe image (${FLOOR_PROBE_REGISTRY}/…)`,
        expected: `denied by ${name}`,
        got: `${denied.status}: ${shown(denied.message)}`,
        pass: true,
      });
      if (floor.params) {
        const { object } = first.generated;
        const created = await raw.send('POST', parametersPath(floor.namespace), {
          body: JSON.stringify({ ...object, metadata: { ...object.metadata, namespace: floor.namespace } }),
          as: OPERATOR_USER,
        });
        if (created.status !== 201)
          throw new Error(`${floor.name}: parameters refused: ${message(created.body.toString('utf8'))}`);
      }
      await eventually(
        async () => {
          const res = await createPod(api, floor.namespace, images, true);
          if (res.status !== 201) throw new Error(`not yet admitted: ${res.status} ${res.message}`);
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      if (floor.params) {
        const probe = await createPod(api, floor.namespace, only(FLOOR_PROBE), true);
        floorChecks.push({
          what: `${floor.name}: the probe image (${FLOOR_PROBE_REGISTRY}/…), with parameters`,
          expected: `denied by ${name}`,
          got: probe.status === 201 ? 'admitted (201)' : `${probe.status}: ${shown(probe.message)}`,
          pass: probe.status !== 201 && probe.message.includes(`'${name}'`),
        });
      }
    }

    log('2. checks: the policy decides as documented');
    const violating = first.repositories.flatMap((r) =>
      r.digests.filter((d) => !d.decision.admit).map((d) => `${r.repository}@${d.digest}`),
    )[0]!;
    const unguarded = unverified('docker.io/library/busybox');
    const checks: Check[] = [
      await check(
        api,
        'deny-1k: a never-verified digest of a guarded repository',
        first.size.namespace,
        unverified(guardedRepository),
        'was never verified',
      ),
      await check(
        api,
        'deny-1k: a digest with a finding',
        first.size.namespace,
        violating,
        "breaks the repository's signing history",
      ),
      await check(
        api,
        'deny-1k: a digest of a repository nobody guards',
        first.size.namespace,
        unguarded,
        null,
      ),
      await check(
        api,
        'unenforced: the never-verified digest',
        UNENFORCED,
        unverified(guardedRepository),
        null,
      ),
      ...floorChecks,
      // signwarden's policy does not match the floor namespaces, nor the floor policies the others.
      ...(await Promise.all(
        FLOORS.map((f) =>
          check(
            api,
            `${f.name}: the never-verified digest`,
            f.namespace,
            unverified(guardedRepository),
            null,
          ),
        ),
      )),
      await check(api, 'unenforced: the floor probe image', UNENFORCED, FLOOR_PROBE, null),
      await check(api, 'deny-1k: the floor probe image', first.size.namespace, FLOOR_PROBE, null),
    ];
    // The guard: parameters written by anyone but the operator (here the cluster admin) are refused.
    const forged = await raw.send('POST', `${parametersPath(UNENFORCED)}?dryRun=All`, {
      body: JSON.stringify({
        ...first.generated.object,
        metadata: { ...first.generated.object.metadata, namespace: UNENFORCED },
      }),
    });
    const forgedMessage = message(forged.body.toString('utf8'));
    checks.push({
      what: 'guard: parameters written by the cluster admin',
      expected: 'denied: only signwarden…',
      got: `${forged.status}: ${shown(forgedMessage)}`,
      pass: forged.status !== 201 && forgedMessage.includes('only signwarden'),
    });
    const large = usable.find((p) => p.size === SIZES[1]);
    if (large?.generated.overflow) {
      // What the bound does: the admitted digests that did not fit are denied as never verified, and
      // `overflow` makes every repository guarded, so an unguarded repository's digest is denied too.
      const dropped = large.repositories
        .flatMap((r) =>
          r.digests.filter((d) => d.decision.admit && !d.decision.finding).map((d) => ({ r, d })),
        )
        .find(({ r, d }) => digestVerdict(large.generated.object.spec, r.repository, d.digest) !== '+');
      if (dropped)
        checks.push(
          await check(
            api,
            'deny-10k (overflow): an admitted digest the bound left out',
            large.size.namespace,
            `${dropped.r.repository}@${dropped.d.digest}`,
            'was never verified',
          ),
        );
      checks.push(
        await check(
          api,
          'deny-10k (overflow): a digest of a repository nobody guards',
          large.size.namespace,
          unguarded,
          'was never verified',
        ),
      );
    }

    log(`3. Pod-create latency: ${WARMUP} rounds of warm-up, then ${PODS} rounds`);
    // Images as listed, `repo:tag@digest` (a common pinning style), `repo:tag` (resolved to an
    // admitted digest), Docker Hub names without `docker.io/`, and canonical images of repositories
    // nobody guards: each admitted by a different shortcut of the policy's match condition.
    const tagged = withTags(images, first.repositories);
    const short = dockerHubShort(first.repositories, first.generated.object.spec);
    const unguardedImages = {
      containers: [unverified('quay.io/vendor/agent'), unverified('registry.example.org/tools/sidecar')] as [
        string,
        string,
      ],
      init: unguarded,
    };
    const arms = [
      {
        name: 'unenforced',
        namespace: UNENFORCED,
        label: null,
        digests: null,
        spelling: 'repo@digest',
        images,
      },
      ...usable.map((p) => ({
        name: p.size.name,
        namespace: p.size.namespace,
        label: 'deny',
        digests: p.size.digests,
        spelling: 'repo@digest',
        images,
      })),
      {
        name: `${first.size.name}-tagged`,
        namespace: first.size.namespace,
        label: 'deny',
        digests: first.size.digests,
        spelling: 'repo:tag@digest',
        images: tagged,
      },
      {
        name: `${first.size.name}-tag`,
        namespace: first.size.namespace,
        label: 'deny',
        digests: first.size.digests,
        spelling: 'repo:tag',
        images: tagOnly(tagged),
      },
      {
        name: `${first.size.name}-short`,
        namespace: first.size.namespace,
        label: 'deny',
        digests: first.size.digests,
        spelling: 'Docker Hub, short',
        images: short,
      },
      {
        name: `${first.size.name}-unguarded`,
        namespace: first.size.namespace,
        label: 'deny',
        digests: first.size.digests,
        spelling: 'repo@digest, not guarded',
        images: unguardedImages,
      },
      ...FLOORS.map((f) => ({
        name: f.name,
        namespace: f.namespace,
        label: null,
        digests: f.params ? first.size.digests : null,
        floor: f.params
          ? `floor policy, a match condition reads its ${first.size.digests.toLocaleString('en')}-digest parameters and the images`
          : 'floor policy, a validation, no parameters',
        spelling: 'repo@digest',
        images,
      })),
    ];
    const samples = arms.map(() => [] as number[]);
    const admitted = arms.map(() => 0);
    const refusals: string[] = [];
    for (let r = 0; r < WARMUP + PODS; r++) {
      for (let k = 0; k < arms.length; k++) {
        const i = (r + k) % arms.length; // each arm in each position equally often
        const res = await createPod(api, arms[i]!.namespace, arms[i]!.images);
        if (res.status !== 201) refusals.push(`${arms[i]!.name}: ${res.status} ${res.message.slice(0, 200)}`);
        if (r < WARMUP) continue;
        samples[i]!.push(res.ms);
        if (res.status === 201) admitted[i]!++;
      }
    }
    const measured: Arm[] = arms.map(({ images: _images, ...a }, i) => ({
      ...a,
      latencyMs: latency(samples[i]!),
      admitted: admitted[i]!,
    }));
    const base = measured[0]!.latencyMs;
    const ratios = measured.slice(1).map((a) => ({
      arm: a.name,
      p50: round(a.latencyMs.p50 / base.p50, 3),
      mean: round(a.latencyMs.mean / base.mean, 3),
    }));
    /** Median over rounds of arm i's time minus arm j's in the same round. */
    const medianDifference = (i: number, j: number): number => {
      const sorted = samples[i]!.map((ms, n) => ms - samples[j]![n]!).sort((x, y) => x - y);
      return round(sorted[Math.floor(sorted.length / 2)] ?? 0);
    };
    const pairedDifferenceMs = measured
      .slice(1)
      .map((a, j) => ({ arm: a.name, median: medianDifference(j + 1, 0) }));
    const floorIndex = measured.findIndex((a) => a.name === FLOOR_ARM);
    const aboveFloorMs = measured
      .map((a, i) => ({ arm: a.name, i }))
      .filter(({ i }) => i > 0 && measured[i]!.floor === undefined)
      .map(({ arm, i }) => ({ arm, median: medianDifference(i, floorIndex) }));

    const problems = [
      ...checks.filter((c) => !c.pass).map((c) => `${c.what}: expected ${c.expected}, got ${c.got}`),
      ...refusals.slice(0, 5),
      ...(refusals.length > 5 ? [`and ${refusals.length - 5} more Pods refused`] : []),
    ];
    const partial = {
      date: date.toISOString(),
      git: git(),
      machine: machine(loadAtStart),
      versions: { kubernetes: bin.kubernetesVersion },
      settings: { pods: PODS, warmup: WARMUP },
      setupSeconds,
      policyEffectiveMs,
      parameters: published.map((p) => p.figures),
      arms: measured,
      ratios,
      pairedDifferenceMs,
      aboveFloorMs,
      checks,
      correct: problems.length === 0,
      problems,
      totalSeconds: round((Date.now() - started) / 1000, 1),
    };
    const result: EnforcementResult = { ...partial, targets: targetsOf(partial) };
    const text = markdown(result);
    writeResults(resultsDir, 'enforcement', stamp, result, text);
    process.stdout.write(`\n${text}\n\n`);
    process.stdout.write(
      `results: .cache/bench/enforcement-${stamp}.json (.md); ${result.totalSeconds} s in all\n`,
    );
    if (!result.correct) {
      log(`bench: enforcement FAILED: ${problems.join('; ')}`);
      return 1;
    }
    return 0;
  } finally {
    api.close();
    raw.close();
    await cp.stop().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  }
}

process.exitCode = await main();
