// `make bench`, second part: the continuity figures, with the operator run as a child process
// (`signwarden run`, as the e2e tests run it) against a real control plane, a registry and the
// test Sigstore, all on loopback:
//  1. detection latency: an unsigned digest deployed into an established repository (a Deployment's
//     image switched to it) until its DriftFinding is visible through the API (a watch), N times;
//  2. API writes per steady-state pass: baselines and findings in place, --posture-ttl expired, every
//     workload and repository re-observed and re-reconciled with nothing changed; writes counted from
//     the operator's signwarden_kube_api_requests_total (Lease renewals apart);
//  3. restart with 4,096 SigningBaselines: process start to /readyz 200, to leading, and to the first
//     full reconcile of every repository.
// Writes .cache/bench/continuity-<date>.json (and .md, the operators' logs), prints the tables with
// the targets. Exit code 1 if a detection did not happen or came out wrong, or a pass did not run;
// a missed target is reported (MISS), not a failure. Settings (environment): BENCH_DETECTIONS (20),
// BENCH_CONTINUITY_REPOSITORIES (5), BENCH_STEADY_PASSES (3), BENCH_BASELINES (4096),
// BENCH_FULL_RECONCILE_SECONDS (90: how long to wait for the first full reconcile after the
// restart), BENCH_CONTINUITY_TIMEOUT_SECONDS (600).
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { API_VERSION } from '../src/api/group.ts';
import { driftFindingKind } from '../src/api/drift-finding.ts';
import { resourcePath } from '../src/api/resources.ts';
import { signaturePinKind } from '../src/api/signature-pin.ts';
import { signingBaselineKind } from '../src/api/signing-baseline.ts';
import type { BaselineStatus } from '../src/core/continuity/baseline-status.ts';
import { nextBaselineStatus, stamp } from '../src/core/continuity/baseline-status.ts';
import { objectName } from '../src/core/continuity/object-name.ts';
import { binaries } from '../test/e2e/harness/binaries.ts';
import { startControlPlane } from '../test/e2e/harness/control-plane.ts';
import type { ControlPlane } from '../test/e2e/harness/control-plane.ts';
import { installCrds } from '../test/e2e/harness/crds.ts';
import { runKubectl } from '../test/e2e/harness/kubectl.ts';
import { startOperator } from '../test/e2e/harness/operator-process.ts';
import type { OperatorProcess } from '../test/e2e/harness/operator-process.ts';
import { eventually } from '../test/e2e/harness/poll.ts';
import { startRegistry } from '../test/e2e/harness/registry.ts';
import type { Registry } from '../test/e2e/harness/registry.ts';
import type { Image } from '../test/e2e/harness/signing/publish.ts';
import { publishBundle, pushRandomImage } from '../test/e2e/harness/signing/publish.ts';
import { createTestSigstore } from '../test/e2e/harness/signing/test-sigstore.ts';
import type { TestSigstore } from '../test/e2e/harness/signing/test-sigstore.ts';
import { git, log, machine, setting, startBench, writeResults } from './common.ts';
import type { ContinuityResult, Detection, Pass } from './continuity-report.ts';
import { markdown, summary, targetsOf } from './continuity-report.ts';
import type { KubeApi } from './kube-api.ts';
import { kubeApi } from './kube-api.ts';
import { pool, processCpuSeconds } from './plan.ts';
import type { Sample } from './prometheus.ts';
import { apiWrites, growth, parseMetrics, sum } from './prometheus.ts';

const DETECTIONS = setting('BENCH_DETECTIONS', 20);
const REPOSITORIES = setting('BENCH_CONTINUITY_REPOSITORIES', 5);
const PASSES = setting('BENCH_STEADY_PASSES', 3);
const BASELINES = setting('BENCH_BASELINES', 4096);
const FULL_RECONCILE_SECONDS = setting('BENCH_FULL_RECONCILE_SECONDS', 90);
const TIMEOUT_SECONDS = setting('BENCH_CONTINUITY_TIMEOUT_SECONDS', 600);

const NAMESPACE = 'bench';
const OPERATOR_NAMESPACE = 'signwarden-system';
const PIN = 'bench-sweep';
const GH = 'https://token.actions.githubusercontent.com';
const POSTURE_TTL_MS = 2_000;
const ESTABLISH_AFTER = '3s';
/** Baselines written at once for the restart. */
const CREATE_CONCURRENCY = 16;
const DETECTION_TIMEOUT_MS = 30_000;

const round = (n: number, digits = 0): number => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (values: number[]): number => summary(values).p50;

const baselinesPath = resourcePath(signingBaselineKind);
const findingsPath = resourcePath(driftFindingKind);
const pinsPath = resourcePath(signaturePinKind);

interface Listed<T = unknown> {
  metadata: { resourceVersion: string };
  items: T[];
}
interface Finding {
  metadata: { name: string; resourceVersion?: string };
  spec: { repository: string; kind: string; subject: string };
  status?: { phase?: string; severity?: string; digest?: string };
}
interface Baseline {
  metadata: { name: string };
  spec: { repository: string };
  status?: { established?: boolean };
}

// ---- the operator ----

interface Operator {
  process: OperatorProcess;
  /** Date.now() just before the process was started. */
  startedAt: number;
  /** /metrics, parsed; `timeoutMs` (60 s by default): a busy operator answers late. */
  metrics(timeoutMs?: number): Promise<Sample[]>;
  /** The operator's log lines with `msg`, parsed, in order. */
  logged(msg: string): { time: number; fields: Record<string, unknown> }[];
}

async function launch(cp: ControlPlane, identity: string, flags: string[]): Promise<Operator> {
  const startedAt = Date.now();
  const proc = await startOperator({
    kubeconfig: cp.kubeconfig,
    identity,
    namespace: OPERATOR_NAMESPACE,
    args: flags,
  });
  return {
    process: proc,
    startedAt,
    metrics: async (timeoutMs = 60_000) => parseMetrics((await probe(`${proc.url}/metrics`, timeoutMs)).body),
    logged: (msg) =>
      proc
        .logs()
        .split('\n')
        .filter((line) => line.includes(`"msg":"${msg}"`))
        .flatMap((line) => {
          try {
            const fields = JSON.parse(line) as Record<string, unknown>;
            return [{ time: Date.parse(String(fields.time)), fields }];
          } catch {
            return [];
          }
        }),
  };
}

interface Readiness {
  httpMs: number | null;
  readyMs: number | null;
  leaderMs: number | null;
}

/** Polls /readyz every 20 ms from the process start until it leads (or `timeoutMs`). */
async function waitReady(op: Operator, timeoutMs: number): Promise<Readiness> {
  const r: Readiness = { httpMs: null, readyMs: null, leaderMs: null };
  const deadline = op.startedAt + timeoutMs;
  // /readyz answers late while the event loop is busy: the log says when the lease was taken.
  const led = () => op.logged('became leader')[0];
  while (Date.now() < deadline && (r.readyMs === null || (r.leaderMs === null && !led()))) {
    if (op.process.child.exitCode !== null)
      throw new Error(`the operator exited (${op.process.child.exitCode}):\n${tail(op)}`);
    try {
      const res = await op.process.get('/readyz');
      const now = Date.now() - op.startedAt;
      r.httpMs ??= now;
      const body = JSON.parse(res.body) as { ready?: boolean; leader?: boolean };
      if (res.status === 200 && body.ready) r.readyMs ??= now;
      if (body.leader) r.leaderMs ??= now;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  const leading = led();
  if (leading) r.leaderMs = leading.time - op.startedAt;
  return r;
}

/**
 * Asks /healthz every 500 ms (one request at a time) until stopped: how long the operator takes to
 * answer while it works. A kubelet's liveness probe gives it 1 s (timeoutSeconds' default).
 */
function probeHealth(op: Operator): { stop(): Promise<ContinuityResult['restart']['healthz']> } {
  const latencies: number[] = [];
  let stopped = false;
  let pending: { since: number; abort: AbortController } | undefined;
  const loop = (async () => {
    while (!stopped) {
      pending = { since: Date.now(), abort: new AbortController() };
      try {
        await probe(`${op.process.url}/healthz`, 600_000, pending.abort.signal);
        latencies.push(Date.now() - pending.since);
      } catch {
        // not listening yet, or aborted by stop()
      }
      pending = undefined;
      await sleep(500);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      // A probe still waiting when the measurement ends: unanswered for at least this long.
      const unansweredMs = pending && pending.since > op.startedAt ? Date.now() - pending.since : 0;
      pending?.abort.abort();
      await loop;
      const s = summary(latencies);
      return {
        probes: latencies.length,
        p50: s.p50,
        max: s.max,
        over1s: latencies.filter((l) => l > 1000).length,
        unansweredMs,
      };
    },
  };
}

/**
 * GET on a connection of its own, as a kubelet probes: a keep-alive connection that the busy server
 * closes meanwhile would fail the next request for a reason that is not the server's answer.
 */
function probe(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false, timeout: timeoutMs, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Resident memory of a process, MiB, from /proc; null if it is gone. */
function rssMiB(pid: number | undefined): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? round(Number(kb) / 1024, 1) : null;
  } catch {
    return null;
  }
}

const tail = (op: Operator, lines = 20) => op.process.logs().trimEnd().split('\n').slice(-lines).join('\n');

const reconciles = (m: Sample[], controller: string) =>
  sum(m, 'signwarden_reconcile_total', (l) => l.controller === controller);
const depth = (m: Sample[], controller?: string) =>
  sum(m, 'signwarden_workqueue_depth', (l) => controller === undefined || l.controller === controller);
const leaseWrites = (m: Sample[]) =>
  sum(
    m,
    'signwarden_kube_api_requests_total',
    (l) => l.resource === 'leases' && ['create', 'update', 'patch', 'delete'].includes(l.verb ?? ''),
  );

/** Waits until every work queue is empty and the API writes have not moved for `quietMs`. */
async function settle(op: Operator, quietMs: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last = '';
  let since = Date.now();
  while (Date.now() - started < timeoutMs) {
    const m = await op.metrics();
    const now = JSON.stringify([...apiWrites(m)]);
    if (now !== last || depth(m) > 0) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) break;
    await sleep(250);
  }
  return round((Date.now() - started) / 1000, 1);
}

// ---- the cluster's objects ----

const deployment = (name: string, image: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: NAMESPACE },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image }] },
    },
  },
});

/**
 * A realistic status for a baseline the operator learned long ago: established, one keyless signer
 * (one in eight also a key, accepted), the last digest observed; made by the operator's own status
 * function, so that its summary is what the operator would write and a reconcile finds nothing to change.
 */
function restoredStatus(k: number, now: Date): BaselineStatus & { corroboration: string } {
  const ago = (days: number) => stamp(new Date(now.getTime() - days * 86_400_000));
  const signers: NonNullable<BaselineStatus['signers']> = [
    {
      identity: `https://github.com/acme/service-${k}/.github/workflows/release.yml@refs/tags/*`,
      issuer: GH,
      learnedFrom: 'Observed',
      firstSeen: ago(90),
      lastSeen: ago(1),
    },
  ];
  if (k % 8 === 0)
    signers.push({
      keyFingerprint: `sha256:${randomBytes(32).toString('hex')}`,
      learnedFrom: 'Accepted',
      firstSeen: ago(30),
      lastSeen: ago(2),
    });
  const { status } = nextBaselineStatus(
    {
      signers,
      firstSignedTime: ago(90),
      established: true,
      establishedTime: ago(89),
      strongestPosture: 'Signed',
      lastObserved: { digest: `sha256:${randomBytes(32).toString('hex')}`, posture: 'Signed', time: ago(1) },
    },
    [],
    now,
    { establishAfterMs: 86_400_000, heartbeatMs: 3_600_000 },
  );
  return { ...status, corroboration: 'None' };
}

/** Server-side applies `count` baselines (object, then status) for repositories nothing runs. */
async function createBaselines(api: KubeApi, count: number): Promise<number> {
  const now = new Date();
  const started = Date.now();
  await pool(
    Array.from({ length: count }, (_, k) => k),
    CREATE_CONCURRENCY,
    async (k) => {
      const repository = `registry.restart.invalid/team-${k % 64}/service-${k}`;
      const name = objectName(repository);
      const path = `${baselinesPath}/${name}`;
      const kind = signingBaselineKind.kind;
      await api.apply(
        path,
        { apiVersion: API_VERSION, kind, metadata: { name }, spec: { repository } },
        'signwarden',
      );
      await api.apply(
        `${path}/status`,
        { apiVersion: API_VERSION, kind, metadata: { name }, status: restoredStatus(k, now) },
        'signwarden',
      );
      if ((k + 1) % 1024 === 0) log(`  ${k + 1} written`);
    },
  );
  return (Date.now() - started) / 1000;
}

async function countWorkloads(api: KubeApi): Promise<number> {
  const paths = [
    '/api/v1/pods',
    '/apis/apps/v1/deployments',
    '/apis/apps/v1/replicasets',
    '/apis/apps/v1/statefulsets',
    '/apis/apps/v1/daemonsets',
    '/apis/batch/v1/jobs',
    '/apis/batch/v1/cronjobs',
  ];
  const lists = await Promise.all(paths.map((p) => api.json<Listed>('GET', p)));
  return lists.reduce((a, l) => a + l.items.length, 0);
}

/** Where two values differ, as paths `depth` levels deep at most (e.g. status.lastObserved). */
function differences(a: unknown, b: unknown, path: string, depth: number, out: string[]): string[] {
  if (isDeepStrictEqual(a, b)) return out;
  const object = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (depth === 0 || !object(a) || !object(b)) out.push(path);
  else
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
      differences(a[key], b[key], `${path}.${key}`, depth - 1, out);
  return out;
}

type Watched = { metadata: { name: string; resourceVersion?: string }; spec?: unknown; status?: unknown };

const contentOf = (o: Watched) => ({ spec: o.spec, status: o.status });

/**
 * Watches baselines and findings from now on and counts what each change changed, event by event
 * (`Kind field` → events: a write undone by a later one counts twice), and what differs at the end
 * from the start (net). stop() returns both.
 */
async function recordChanges(
  api: KubeApi,
): Promise<{ stop(): { events: Record<string, number>; net: Record<string, number> } }> {
  const events: Record<string, number> = {};
  const net: Record<string, number> = {};
  const count = (counts: Record<string, number>, key: string) => (counts[key] = (counts[key] ?? 0) + 1);
  const watches: { stop(): void }[] = [];
  const states: { kind: string; initial: Map<string, Watched>; known: Map<string, Watched> }[] = [];
  for (const [kind, path] of [
    ['SigningBaseline', baselinesPath],
    ['DriftFinding', findingsPath],
  ] as const) {
    const list = await api.json<Listed<Watched>>('GET', path);
    const initial = new Map(list.items.map((o) => [o.metadata.name, o]));
    const known = new Map(initial);
    states.push({ kind, initial, known });
    watches.push(
      api.watch(path, list.metadata.resourceVersion, (event) => {
        const obj = event.object as unknown as Watched;
        const before = known.get(obj.metadata.name);
        if (event.type === 'DELETED') {
          known.delete(obj.metadata.name);
          count(events, `${kind} deleted`);
          return;
        }
        known.set(obj.metadata.name, obj);
        if (!before) count(events, `${kind} created`);
        else
          for (const p of differences(contentOf(before), contentOf(obj), '', 2, []))
            count(events, `${kind} ${p.slice(1)}`);
      }),
    );
  }
  return {
    stop: () => {
      for (const w of watches) w.stop();
      for (const { kind, initial, known } of states) {
        for (const [name, obj] of known) {
          const was = initial.get(name);
          if (!was) count(net, `${kind} created`);
          else
            for (const p of differences(contentOf(was), contentOf(obj), '', 2, []))
              count(net, `${kind} ${p.slice(1)}`);
        }
        for (const name of initial.keys()) if (!known.has(name)) count(net, `${kind} deleted`);
      }
      return { events, net };
    },
  };
}

// ---- the phases ----

interface Env {
  cp: ControlPlane;
  registry: Registry;
  sigstore: TestSigstore;
  api: KubeApi;
  flags: string[];
}

const repo = (r: number) => `bench-continuity/app-${r}`;

/** Signed images in established repositories, then unsigned digests deployed one at a time. */
async function detection(env: Env, op: Operator): Promise<Detection[]> {
  const { api, registry } = env;
  const signer = {
    subject: 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0',
    issuer: GH,
  };
  log(`  ${REPOSITORIES} repositories, each a signed image in a Deployment`);
  await pool(
    Array.from({ length: REPOSITORIES }, (_, r) => r),
    REPOSITORIES,
    async (r) => {
      const image = await pushRandomImage(registry.host, repo(r));
      await publishBundle(image, await env.sigstore.signBundle({ digest: image.digest, signer }));
      await api.json(
        'POST',
        `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
        deployment(`app-${r}`, image.ref),
      );
    },
  );
  const ours = (b: Baseline) => b.spec.repository.startsWith(`${registry.host}/bench-continuity/`);
  await eventually(
    async () => {
      const list = await api.json<Listed<Baseline>>('GET', baselinesPath);
      const established = list.items.filter((b) => ours(b) && b.status?.established === true).length;
      if (established < REPOSITORIES)
        throw new Error(`${established} of ${REPOSITORIES} baselines established`);
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  log('  baselines established (--establish-after=3s)');

  // Every finding as the API delivers it: when first seen, and when first seen with a status.
  const seen = new Map<string, { appeared: number; visible?: number; finding: Finding }>();
  const initial = await api.json<Listed<Finding>>('GET', findingsPath);
  const watch = api.watch(findingsPath, initial.metadata.resourceVersion, (event) => {
    const now = Date.now();
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return;
    const finding = event.object as unknown as Finding;
    const entry = seen.get(finding.spec.subject) ?? { appeared: now, finding };
    entry.finding = finding;
    if (entry.visible === undefined && finding.status?.phase) entry.visible = now;
    seen.set(finding.spec.subject, entry);
  });

  const runs: Detection[] = [];
  try {
    for (let i = 0; i < DETECTIONS; i++) {
      const r = i % REPOSITORIES;
      const image: Image = await pushRandomImage(registry.host, repo(r));
      // Start from a quiet operator: the previous detection's writes and events done.
      await settle(op, 300, 15_000);
      const t0 = Date.now();
      await api.json(
        'PATCH',
        `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/app-${r}`,
        { spec: { template: { spec: { containers: [{ name: 'app', image: image.ref }] } } } },
        'application/strategic-merge-patch+json',
      );
      const patchedMs = Date.now() - t0;
      const deadline = t0 + DETECTION_TIMEOUT_MS;
      while (seen.get(image.digest)?.visible === undefined && Date.now() < deadline) await sleep(5);
      const got = seen.get(image.digest);
      const at = (msg: string) => {
        const line = op.logged(msg).find((l) => l.fields.digest === image.digest);
        return line ? line.time - t0 : null;
      };
      const run: Detection = {
        repository: repo(r),
        digest: image.digest,
        patchedMs,
        observedMs: at('observed'),
        appearedMs: got ? got.appeared - t0 : null,
        visibleMs: got?.visible !== undefined ? got.visible - t0 : null,
        kind: got?.finding.spec.kind ?? null,
        severity: got?.finding.status?.severity ?? null,
        phase: got?.finding.status?.phase ?? null,
      };
      if (run.visibleMs === null) run.problem = `no DriftFinding within ${DETECTION_TIMEOUT_MS / 1000} s`;
      else if (run.kind !== 'Unsigned' || run.severity !== 'High' || run.phase !== 'Open')
        run.problem = `expected an open, high Unsigned finding, got ${run.kind}/${run.severity}/${run.phase}`;
      runs.push(run);
      log(
        `  ${i + 1}/${DETECTIONS} ${repo(r)}: visible after ${run.visibleMs ?? '-'} ms` +
          ` (judged ${run.observedMs ?? '-'}, created ${run.appearedMs ?? '-'})${run.problem ? ` ${run.problem}` : ''}`,
      );
    }
  } finally {
    watch.stop();
  }
  return runs;
}

/** Writes while nothing changes: idle, then passes that re-observe and re-reconcile everything. */
async function steadyState(env: Env, op: Operator): Promise<ContinuityResult['steadyState']> {
  const { api } = env;
  const settleSeconds = await settle(op, 3_000, 60_000);
  const [baselines, findings, workloads] = await Promise.all([
    api.json<Listed>('GET', baselinesPath),
    api.json<Listed>('GET', findingsPath),
    countWorkloads(api),
  ]);
  log(`  settled after ${settleSeconds} s; idle for 6 s`);
  const idleBefore = await op.metrics();
  await sleep(6_000);
  const idleAfter = await op.metrics();
  const idle = {
    seconds: 6,
    writes: growth(apiWrites(idleBefore), apiWrites(idleAfter)),
    leaseWrites: leaseWrites(idleAfter) - leaseWrites(idleBefore),
    reconciles: ['continuity', 'inventory', 'signaturepin']
      .map((c) => reconciles(idleAfter, c) - reconciles(idleBefore, c))
      .reduce((a, b) => a + b, 0),
  };

  const passes: Pass[] = [];
  for (let p = 1; p <= PASSES; p++) {
    await sleep(POSTURE_TTL_MS + 500); // every posture expired: re-observing judges again
    const before = await op.metrics();
    const started = Date.now();
    const kinds = [
      ['/apis/apps/v1', 'deployments'],
      ['/apis/apps/v1', 'replicasets'],
      ['/api/v1', 'pods'],
    ] as const;
    const objects = (
      await Promise.all(
        kinds.map(async ([group, resource]) =>
          (
            await api.json<Listed<{ metadata: { name: string } }>>(
              'GET',
              `${group}/namespaces/${NAMESPACE}/${resource}`,
            )
          ).items.map((o) => `${group}/namespaces/${NAMESPACE}/${resource}/${o.metadata.name}`),
        ),
      )
    ).flat();
    const touch = { metadata: { annotations: { 'bench.signwarden.dev/pass': String(p) } } };
    await pool([...objects, `${pinsPath}/${PIN}`], 16, async (path) => {
      await api.json('PATCH', path, touch, 'application/merge-patch+json');
    });
    const repositories = REPOSITORIES; // plus the pin's: none match it
    await eventually(
      async () => {
        const m = await op.metrics();
        const inventory = reconciles(m, 'inventory') - reconciles(before, 'inventory');
        const continuity = reconciles(m, 'continuity') - reconciles(before, 'continuity');
        if (inventory < objects.length || continuity < repositories || depth(m) > 0)
          throw new Error(`pass ${p}: ${inventory} inventory and ${continuity} continuity reconciles so far`);
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await settle(op, 1_000, 15_000);
    const after = await op.metrics();
    const delta = (c: string) => reconciles(after, c) - reconciles(before, c);
    passes.push({
      pass: p,
      workloadsTouched: objects.length,
      seconds: round((Date.now() - started) / 1000, 1),
      reconciles: {
        inventory: delta('inventory'),
        continuity: delta('continuity'),
        signaturepin: delta('signaturepin'),
      },
      registryRequests:
        sum(after, 'signwarden_registry_requests_total') - sum(before, 'signwarden_registry_requests_total'),
      writes: growth(apiWrites(before), apiWrites(after)),
      leaseWrites: leaseWrites(after) - leaseWrites(before),
    });
    const last = passes.at(-1)!;
    log(
      `  pass ${p}: ${last.reconciles.inventory} inventory, ${last.reconciles.continuity} continuity reconciles, ` +
        `${last.registryRequests} registry requests, ${Object.values(last.writes).reduce((a, b) => a + b, 0)} API writes`,
    );
  }
  const writes = passes.reduce((a, p) => a + Object.values(p.writes).reduce((x, y) => x + y, 0), 0);
  return {
    baselines: baselines.items.length,
    findings: findings.items.length,
    workloads,
    settleSeconds,
    idle,
    passes,
    writesPerPass: round(writes / PASSES, 2),
  };
}

/** The operator stopped, the baselines written, the operator started again and timed. */
async function restart(
  env: Env,
  previous: Operator,
): Promise<{ result: ContinuityResult['restart']; op: Operator }> {
  const { api, cp } = env;
  await previous.process.stop('SIGTERM'); // a graceful stop releases the Lease, as in a rollout
  const existing = (await api.json<Listed>('GET', baselinesPath)).items.length;
  const count = Math.max(0, BASELINES - existing);
  log(`  writing ${count} baselines (${existing} exist), ${CREATE_CONCURRENCY} at once`);
  const createSeconds = await createBaselines(api, count);
  const listStarted = Date.now();
  const listed = await api.request('GET', baselinesPath);
  const list = { ms: Date.now() - listStarted, MiB: round(listed.body.length / 1024 / 1024, 1) };
  const baselines = (JSON.parse(listed.body) as Listed<Baseline>).items;
  const repositories = new Set(baselines.map((b) => b.spec.repository)).size;
  const findings = (await api.json<Listed>('GET', findingsPath)).items.length;
  const workloads = await countWorkloads(api);
  const changes = await recordChanges(api);
  log(`  ${baselines.length} baselines (LIST: ${list.ms} ms, ${list.MiB} MiB); starting the operator`);

  const op = await launch(cp, 'bench-restart', env.flags);
  const health = probeHealth(op);
  const ready = await waitReady(op, 60_000);
  const pid = op.process.child.pid;
  const cpuAtReady = processCpuSeconds(pid);
  log(`  /readyz 200 after ${ready.readyMs ?? '-'} ms, leader after ${ready.leaderMs ?? '-'} ms`);

  // The first full reconcile: every repository (and workload) reconciled once, their queues empty.
  // (Not the tag watcher's: the made-up repositories' registry does not exist, so it keeps retrying
  // them at its rate limit, as it would any unreachable registry.)
  // A busy operator may not answer /metrics at all until it is done: wait at most until the deadline.
  let full: number | null = null;
  let m: Sample[] = [];
  let lastMetricsMs: number | null = null;
  let lastReport = Date.now();
  const deadline = op.startedAt + FULL_RECONCILE_SECONDS * 1000;
  while (Date.now() < deadline) {
    try {
      m = await op.metrics(Math.max(1, deadline - Date.now()));
      lastMetricsMs = Date.now() - op.startedAt;
    } catch (error) {
      if (op.process.child.exitCode !== null || op.process.child.signalCode !== null) break;
      if (Date.now() < deadline - 100) log(`  /metrics: ${String(error)}`);
      await sleep(100);
      continue; // no answer before the deadline ends the loop
    }
    if (
      reconciles(m, 'continuity') >= repositories &&
      sum(m, 'signwarden_reconcile_total', (l) => l.controller === 'inventory' && l.result === 'success') >=
        workloads &&
      depth(m, 'continuity') + depth(m, 'inventory') === 0
    ) {
      full = Date.now() - op.startedAt;
      break;
    }
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      log(`  ${reconciles(m, 'continuity')} of ${repositories} repositories reconciled so far`);
    }
    await sleep(100);
  }
  const waited = (Date.now() - op.startedAt) / 1000;
  const lost = op.logged('stopped leading')[0];
  const healthz = await health.stop();
  const cpuAtEnd = processCpuSeconds(pid);
  const rssAtEnd = rssMiB(pid);
  if (full === null)
    log(
      `  not done within ${FULL_RECONCILE_SECONDS} s: ${reconciles(m, 'continuity')} reconciles when /metrics last ` +
        `answered (${lastMetricsMs ?? '-'} ms); /healthz unanswered for ${healthz.unansweredMs} ms`,
    );
  const done = reconciles(m, 'continuity');
  const seconds = sum(m, 'signwarden_reconcile_duration_seconds_sum', (l) => l.controller === 'continuity');
  const reconcileWindow = ((full ?? lastMetricsMs ?? 0) - (ready.leaderMs ?? 0)) / 1000;
  const informersSyncedMs = Object.fromEntries(
    op.logged('informer synced').map((l) => [String(l.fields.resource), l.time - op.startedAt]),
  );
  await sleep(500); // the last events on their way
  const { events: changed, net: netChanged } = changes.stop();
  return {
    op,
    result: {
      baselines: baselines.length,
      findings,
      workloads,
      create: {
        seconds: round(createSeconds, 1),
        perSecond: round(count / createSeconds),
        concurrency: CREATE_CONCURRENCY,
      },
      list,
      processToHttpMs: ready.httpMs,
      processToReadyMs: ready.readyMs,
      processToLeaderMs: ready.leaderMs,
      processToFullReconcileMs: full,
      fullReconcile: {
        expected: repositories,
        done,
        waitedSeconds: round(waited),
        lastMetricsMs,
        continuityReconcilesPerSecond: round(done / Math.max(0.001, reconcileWindow), 1),
        meanReconcileMs: done > 0 ? round((seconds / done) * 1000, 1) : null,
      },
      informersSyncedMs,
      lostLeadershipMs: lost ? lost.time - op.startedAt : null,
      healthz,
      writes: Object.fromEntries([...apiWrites(m)].filter(([, n]) => n > 0)),
      changed,
      netChanged,
      rssMiB: rssAtEnd,
      cpuSecondsAtReady: cpuAtReady ?? null,
      cpuSecondsAtEnd: cpuAtEnd ?? null,
    },
  };
}

// ---- main ----

async function main(): Promise<number> {
  const { started, date, stamp, loadAtStart, resultsDir } = startBench('continuity', TIMEOUT_SECONDS);
  const bin = await binaries();

  log('continuity: starting a control plane, a registry and the test Sigstore (loopback)');
  const stops: (() => Promise<unknown>)[] = [];
  const operators: Operator[] = [];
  try {
    const [registry, cp, sigstore] = await Promise.all([
      startRegistry().then((r) => (stops.push(() => r.stop()), r)),
      startControlPlane().then((c) => (stops.push(() => c.stop()), c)),
      createTestSigstore().then((s) => (stops.push(() => s.remove()), s)),
    ]);
    const api = kubeApi(cp.kubeconfig);
    stops.push(() => Promise.resolve(api.close()));
    await installCrds((args) => runKubectl(cp.kubectl, cp.kubeconfig, args));
    for (const name of [NAMESPACE, OPERATOR_NAMESPACE])
      await api.json('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      });
    // Pods need their namespace's default ServiceAccount.
    await eventually(() => api.json('GET', `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/default`), {
      timeoutMs: 30_000,
    });
    // A pin on repositories nothing runs: annotating it re-reconciles every repository (a sweep).
    await api.apply(
      `${pinsPath}/${PIN}`,
      {
        apiVersion: API_VERSION,
        kind: signaturePinKind.kind,
        metadata: { name: PIN },
        spec: {
          repositories: ['registry.pinned.invalid/**'],
          signers: [{ keyless: { issuer: GH, subject: 'https://github.com/acme/pinned' } }],
        },
      },
      'bench',
    );
    const flags = [
      `--trusted-root=${sigstore.trustedRootPath}`,
      `--insecure-registries=${registry.host}`,
      `--establish-after=${ESTABLISH_AFTER}`,
      `--posture-ttl=${POSTURE_TTL_MS / 1000}s`,
    ];
    const env: Env = { cp, registry, sigstore, api, flags };
    const setupSeconds = round((Date.now() - started) / 1000, 1);

    log('1. detection latency');
    const first = await launch(cp, 'bench', flags);
    operators.push(first);
    const cold = await waitReady(first, 60_000);
    if (cold.leaderMs === null || cold.readyMs === null)
      throw new Error(`the operator was not ready and leading within 60 s:\n${tail(first)}`);
    const restarts = (await first.metrics()).filter(
      (x) => x.name === 'signwarden_informer_restarts_total' && x.value > 0,
    );
    const runs = await detection(env, first);

    log('2. API writes in steady state');
    const steady = await steadyState(env, first);

    log(`3. restart with ${BASELINES} baselines`);
    const restarted = await restart(env, first);
    operators.push(restarted.op);

    const problems = [
      ...runs.flatMap((d) => (d.problem ? [`${d.repository}@${d.digest}: ${d.problem}`] : [])),
      ...(restarted.result.processToReadyMs === null
        ? ['the restarted operator was not ready within 60 s']
        : []),
    ];
    const stages = runs.filter((d) => d.observedMs !== null && d.appearedMs !== null && d.visibleMs !== null);
    const partial: Omit<ContinuityResult, 'targets'> = {
      date: date.toISOString(),
      git: git(),
      machine: machine(loadAtStart),
      versions: {
        kubernetes: bin.kubernetesVersion,
        registry: /registry-(v[^/]+)/.exec(bin.registry)?.[1] ?? basename(bin.registry),
      },
      settings: {
        repositories: REPOSITORIES,
        detections: DETECTIONS,
        passes: PASSES,
        baselines: BASELINES,
        operatorFlags: flags.map((f) => f.replace(/=\/.*\//, '=…/')),
      },
      setupSeconds,
      firstStart: {
        readyMs: cold.readyMs,
        leaderMs: cold.leaderMs,
        informerRestarts: Object.fromEntries(restarts.map((x) => [x.labels.resource ?? '', x.value])),
      },
      detection: {
        runs,
        visibleMs: summary(runs.map((d) => d.visibleMs)),
        appearedMs: summary(runs.map((d) => d.appearedMs)),
        stagesMs: {
          judged: median(stages.map((d) => d.observedMs!)),
          created: median(stages.map((d) => d.appearedMs! - d.observedMs!)),
          status: median(stages.map((d) => d.visibleMs! - d.appearedMs!)),
        },
      },
      steadyState: steady,
      restart: restarted.result,
      correct: problems.length === 0,
      problems,
      totalSeconds: round((Date.now() - started) / 1000, 1),
    };
    const result: ContinuityResult = { ...partial, targets: targetsOf(partial) };
    const table = markdown(result);
    writeResults(resultsDir, 'continuity', stamp, result, table);
    operators.forEach((op, i) =>
      writeFileSync(join(resultsDir, `continuity-${stamp}-operator-${i + 1}.log`), op.process.logs()),
    );
    process.stdout.write(`\n${table}\n\n`);
    process.stdout.write(
      `results: .cache/bench/continuity-${stamp}.json (.md, -operator-*.log); ${result.totalSeconds} s in all\n`,
    );
    if (!result.correct) {
      log(`bench: continuity FAILED: ${problems.join('; ')}`);
      return 1;
    }
    return 0;
  } finally {
    // Gracefully if it can (it releases the Lease), else killed: a busy operator handles no signal.
    for (const op of operators)
      await Promise.race([op.process.stop('SIGTERM'), sleep(5_000).then(() => op.process.stop('SIGKILL'))]);
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  }
}

process.exitCode = await main();
