// The measured part of `make bench`, in a process of its own so that its peak RSS is the operator's
// code path and nothing else: every digest of the plan observed through Observer + judgeDigest, as
// the inventory controller does, in several sweeps. Usage:
//   node bench/sweep.ts <plan.json> <out.json> [<path prefix of the two .cpuprofile files written>]
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { Profiler } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import type { Posture } from '../src/api/postures.ts';
import { POSTURES } from '../src/api/postures.ts';
import type { Observation } from '../src/core/observation.ts';
import { judgeDigest } from '../src/observe/judge-digest.ts';
import { Observer } from '../src/observe/observer.ts';
import { nodeHttp } from '../src/registry/http-client.ts';
import type { HttpAnswer, HttpClient } from '../src/registry/http-client.ts';
import { RegistryClient } from '../src/registry/registry-client.ts';
import { RegistryError } from '../src/registry/registry-error.ts';
import { parsePublicKey } from '../src/sigstore/public-key.ts';
import type { TrustedKey } from '../src/sigstore/public-key.ts';
import { parseTrustedRoot } from '../src/sigstore/trusted-root.ts';
import type { TrustRoot } from '../src/sigstore/trusted-root.ts';
import type { Kind, Plan, PlannedDigest } from './plan.ts';
import { KINDS } from './plan.ts';
import type { ProfileSummary } from './profile.ts';
import { summarise } from './profile.ts';
import { percentile, processCpuSeconds } from './plan.ts';
import { log } from './common.ts';

export interface PhaseResult {
  name: string;
  digests: number;
  concurrency: number;
  seconds: number;
  digestsPerSecond: number;
  /** HTTP requests the client made (its onRequest hook). */
  requests: number;
  requestsPerDigest: number;
  /** The same requests by what was asked for and how the registry answered. */
  requestKinds: Record<string, number>;
  latencyMs: { mean: number; p50: number; p95: number; p99: number; max: number };
  /** CPU milliseconds of this process per digest judged. */
  cpuMsPerDigest: number;
  /** CPU seconds during the phase: this process (signwarden), and the registry process. */
  cpuSeconds: { signwarden: number; registry: number | null };
  /** Share of the phase the event loop was busy (1: signwarden was CPU-bound). */
  eventLoopUtilization: number;
  /** Highest RSS sampled during the phase, MiB. */
  rssPeakMiB: number;
  postures: Record<Posture, number>;
  mismatches: number;
  mismatchExamples: string[];
}

/** One kind of digest judged alone, one at a time, the registry replayed: its own cost. */
export interface KindCost {
  kind: Kind;
  digests: number;
  requestsPerDigest: number;
  cpuMsPerDigest: number;
}

export interface SweepResult {
  phases: PhaseResult[];
  byKind: KindCost[];
  profiles: ProfileSummary[];
  /** process.resourceUsage().maxRSS after the measured sweeps of all 1,000 digests, MiB. */
  maxRssMiB: number;
  /** RSS once the modules are loaded and the trust material parsed, before any judging, MiB. */
  rssAtStartMiB: number;
  /** process.memoryUsage() right after the cold sweep, MiB. */
  memoryAfterCold: {
    rss: number;
    heapTotal: number;
    heapUsed: number;
    external: number;
    arrayBuffers: number;
  };
}

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

// ---- requests: counted by kind; recorded, or answered from the recording (in-process cost only) ----

/** The headers the client reads, kept with each recorded answer. */
const RECORDED_HEADERS = ['content-type', 'docker-content-digest', 'link', 'location', 'retry-after'];
type Recorded = { status: number; headers: Map<string, string>; body: Buffer };
/** live: to the registry. record: to the registry, every reply kept. replay: answered from what was kept. */
type HttpMode = 'live' | 'record' | 'replay';

let httpMode: HttpMode = 'live';
const recording = new Map<string, Recorded>();
let kinds = new Map<string, number>();
let targetDigests = new Set<string>();

function classify(url: URL, status: number): string {
  const match = /^\/v2\/.+\/(manifests|blobs|referrers)\/([^/]+)$/.exec(url.pathname);
  const outcome = status >= 200 && status < 300 ? 'found' : String(status);
  if (!match) return `other ${outcome}`;
  const [, what, ref = ''] = match;
  const kind =
    what === 'referrers'
      ? 'referrers API'
      : what === 'blobs'
        ? 'signature blob'
        : ref.endsWith('.sig')
          ? '.sig tag'
          : ref.startsWith('sha256-')
            ? 'referrers tag'
            : targetDigests.has(ref)
              ? 'image manifest'
              : 'bundle manifest';
  return `${kind} ${outcome}`;
}

/** An answer served from memory, as nodeHttp would have served it. */
function replayed(recorded: Recorded): HttpAnswer {
  return {
    status: recorded.status,
    headers: { get: (name) => recorded.headers.get(name) ?? null, has: (name) => recorded.headers.has(name) },
    read: (maxBytes, what) =>
      recorded.body.length > maxBytes
        ? Promise.reject(new RegistryError('TooLarge', `${what} is larger than ${maxBytes} bytes`))
        : Promise.resolve(recorded.body),
    discard: () => undefined,
  };
}

/** What the registry clients of the sweeps send requests with: nodeHttp, counted, recorded or replayed. */
const benchHttp: HttpClient = async (request) => {
  const { method, url } = request;
  const key = `${method} ${url.href} ${request.headers['accept'] ?? ''}`;
  let answer: HttpAnswer;
  if (httpMode === 'replay') {
    // A client remembers a registry without the referrers API after its first answer: which digest
    // asked first differs between sweeps. The registry answers 404 to every one of them.
    const recorded =
      recording.get(key) ??
      (url.pathname.includes('/referrers/')
        ? { status: 404, headers: new Map<string, string>(), body: Buffer.alloc(0) }
        : undefined);
    if (!recorded) throw new Error(`bench replay: nothing recorded for ${key}`);
    answer = replayed(recorded);
  } else {
    answer = await nodeHttp(request);
    if (httpMode === 'record') {
      const headers = new Map<string, string>();
      for (const name of RECORDED_HEADERS) {
        const value = answer.headers.get(name);
        if (value !== null) headers.set(name, value);
      }
      const body =
        method === 'GET' ? await answer.read(Number.MAX_SAFE_INTEGER, 'recording') : Buffer.alloc(0);
      const recorded = { status: answer.status, headers, body };
      recording.set(key, recorded);
      answer = replayed(recorded);
    }
  }
  const kind = classify(url, answer.status);
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  return answer;
};

// ---- phases ----

interface Context {
  plan: Plan;
  trust: TrustRoot;
  keys: readonly TrustedKey[];
}

interface Client {
  registry: RegistryClient;
  requests: { count: number };
}

function newClient(plan: Plan): Client {
  const requests = { count: 0 };
  const registry = new RegistryClient({
    insecureRegistries: [plan.host],
    onRequest: () => requests.count++,
    http: benchHttp,
  });
  return { registry, requests };
}

const newObserver = (concurrency: number): Observer =>
  new Observer({ ttlMs: 10 * 60_000, maxEntries: 20_000, concurrency });

function mismatch(d: PlannedDigest, o: Observation): string | undefined {
  const { expected } = d;
  const signer = o.signers[0];
  const got = signer ? (signer.kind === 'Keyless' ? signer.identity : signer.fingerprint) : undefined;
  const wrong =
    o.posture !== expected.posture ||
    o.location !== expected.location ||
    (expected.signer !== undefined && (o.signers.length !== 1 || got !== expected.signer));
  if (!wrong) return undefined;
  return `${d.repository}@${d.digest} (${d.kind}): want ${expected.posture}/${expected.location ?? '-'}, got ${o.posture}/${o.location ?? '-'} ${o.detail ?? ''}`.slice(
    0,
    400,
  );
}

async function runPhase(
  ctx: Context,
  name: string,
  observer: Observer,
  client: Client,
  targets: readonly PlannedDigest[],
  concurrency: number,
): Promise<PhaseResult> {
  const { plan } = ctx;
  kinds = new Map();
  const requestsBefore = client.requests.count;
  const latencies: number[] = [];
  const postures = Object.fromEntries(POSTURES.map((p) => [p, 0])) as Record<Posture, number>;
  const mismatches: string[] = [];
  let rssPeak = process.memoryUsage.rss();
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 10);
  const registryCpuBefore = processCpuSeconds(plan.registryPid);
  const usageBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const started = performance.now();

  let next = 0;
  const driver = async (): Promise<void> => {
    while (next < targets.length) {
      const d = targets[next++]!;
      const t0 = performance.now();
      const observation = await observer.observe(
        { repository: `${plan.host}/${d.repository}`, digest: d.digest },
        (t) =>
          judgeDigest(
            { registry: client.registry, trust: ctx.trust, keys: ctx.keys },
            { registry: plan.host, repository: d.repository, digest: t.digest },
          ),
      );
      latencies.push(performance.now() - t0);
      postures[observation.posture]++;
      const wrong = mismatch(d, observation);
      if (wrong) mismatches.push(wrong);
    }
  };
  // As many callers as judgements allowed at once: the observer's limit, not a queue, bounds the work.
  await Promise.all(Array.from({ length: concurrency }, driver));

  const seconds = (performance.now() - started) / 1000;
  const elu = performance.eventLoopUtilization(eluBefore);
  const usage = process.cpuUsage(usageBefore);
  const registryCpuAfter = processCpuSeconds(plan.registryPid);
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  const requests = client.requests.count - requestsBefore;
  const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
  return {
    name,
    digests: targets.length,
    concurrency,
    seconds: round(seconds, 3),
    digestsPerSecond: round(targets.length / seconds, 1),
    requests,
    requestsPerDigest: round(requests / targets.length, 3),
    requestKinds: Object.fromEntries([...kinds].sort(([a], [b]) => a.localeCompare(b))),
    latencyMs: {
      mean: round(mean),
      p50: round(percentile(latencies, 50)),
      p95: round(percentile(latencies, 95)),
      p99: round(percentile(latencies, 99)),
      max: round(percentile(latencies, 100)),
    },
    cpuMsPerDigest: round((usage.user + usage.system) / 1e3 / targets.length),
    cpuSeconds: {
      signwarden: round((usage.user + usage.system) / 1e6),
      registry:
        registryCpuBefore !== undefined && registryCpuAfter !== undefined
          ? round(registryCpuAfter - registryCpuBefore)
          : null,
    },
    eventLoopUtilization: round(elu.utilization, 3),
    rssPeakMiB: mib(rssPeak),
    postures,
    mismatches: mismatches.length,
    mismatchExamples: mismatches.slice(0, 5),
  };
}

async function profiled<T>(
  session: Session,
  run: () => Promise<T>,
): Promise<{ result: T; profile: Profiler.Profile }> {
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const result = await run();
  const { profile } = await session.post('Profiler.stop');
  return { result, profile };
}

// ---- main ----

async function main(): Promise<void> {
  const [planPath, outPath, profilePrefix] = process.argv.slice(2);
  if (!planPath || !outPath)
    throw new Error('usage: node bench/sweep.ts <plan.json> <out.json> [<profile path prefix>]');
  const plan = JSON.parse(readFileSync(planPath, 'utf8')) as Plan;
  const root = parseTrustedRoot(readFileSync(plan.trustedRootPath, 'utf8'), plan.trustedRootPath);
  if ('error' in root) throw new Error(root.error);
  const key = parsePublicKey(readFileSync(plan.publicKeyPath, 'utf8'));
  if ('error' in key) throw new Error(key.error);
  const ctx: Context = { plan, trust: root, keys: [key] };
  const rssAtStartMiB = mib(process.memoryUsage.rss());
  targetDigests = new Set(plan.digests.map((d) => d.digest));
  const all = plan.digests;
  const sample = plan.sample.map((i) => all[i]!);
  const c = plan.concurrency;
  const phases: PhaseResult[] = [];
  const say = (p: PhaseResult) => {
    phases.push(p);
    log(
      `  ${p.name}: ${p.digestsPerSecond} digests/s, ${p.requestsPerDigest} requests/digest, p95 ${p.latencyMs.p95} ms${p.mismatches ? `, ${p.mismatches} MISMATCHES` : ''}`,
    );
  };

  // What the operator does: one client, one observer; everything cold, then again from the cache.
  const client = newClient(plan);
  const observer = newObserver(c);
  say(await runPhase(ctx, 'cold', observer, client, all, c));
  const usage = process.memoryUsage();
  const memoryAfterCold = {
    rss: mib(usage.rss),
    heapTotal: mib(usage.heapTotal),
    heapUsed: mib(usage.heapUsed),
    external: mib(usage.external),
    arrayBuffers: mib(usage.arrayBuffers),
  };
  say(await runPhase(ctx, 'warm re-sweep', observer, client, all, c));
  // The TTL expired everywhere at once: judged again with the same client (its token cache).
  say(await runPhase(ctx, 're-judge (same client)', newObserver(c), client, all, c));
  const maxRssMiB = mib(process.resourceUsage().maxRSS * 1024);

  // The images also given to `cosign verify`, from cold: at the operator's concurrency and one at a time.
  say(await runPhase(ctx, 'cosign sample, cold', newObserver(c), newClient(plan), sample, c));
  say(await runPhase(ctx, 'cosign sample, cold, 1 at a time', newObserver(1), newClient(plan), sample, 1));

  // Where the time goes: a cold sweep profiled; one recording every reply; the same sweep answered
  // from the recording, which leaves only signwarden's own work, measured and profiled.
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  const live = await profiled(session, () =>
    runPhase(ctx, 'cold, profiled (not a figure)', newObserver(c), newClient(plan), all, c),
  );
  httpMode = 'record';
  const recorded = await runPhase(
    ctx,
    'cold, recorded (not a figure)',
    newObserver(c),
    newClient(plan),
    all,
    c,
  );
  httpMode = 'replay';
  say(await runPhase(ctx, 'cold, registry replayed in-process', newObserver(c), newClient(plan), all, c));
  const replayed = await profiled(session, () =>
    runPhase(ctx, 'replayed, profiled (not a figure)', newObserver(c), newClient(plan), all, c),
  );
  session.disconnect();
  const byKind: KindCost[] = [];
  for (const kind of KINDS) {
    const group = all.filter((d) => d.kind === kind);
    if (group.length === 0) continue;
    const p = await runPhase(ctx, `replayed: ${kind}`, newObserver(1), newClient(plan), group, 1);
    if (p.mismatches)
      throw new Error(`${p.name}: ${p.mismatches} mismatches: ${p.mismatchExamples.join('; ')}`);
    byKind.push({
      kind,
      digests: p.digests,
      requestsPerDigest: p.requestsPerDigest,
      cpuMsPerDigest: p.cpuMsPerDigest,
    });
  }
  httpMode = 'live';
  for (const p of [live.result, recorded, replayed.result])
    if (p.mismatches)
      throw new Error(`${p.name}: ${p.mismatches} mismatches: ${p.mismatchExamples.join('; ')}`);

  if (profilePrefix) {
    writeFileSync(`${profilePrefix}-cold.cpuprofile`, JSON.stringify(live.profile));
    writeFileSync(`${profilePrefix}-replayed.cpuprofile`, JSON.stringify(replayed.profile));
  }
  const result: SweepResult = {
    phases,
    byKind,
    profiles: [
      summarise('cold sweep against the registry', live.profile),
      summarise('cold sweep, registry replayed in-process', replayed.profile),
    ],
    maxRssMiB,
    rssAtStartMiB,
    memoryAfterCold,
  };
  writeFileSync(outPath, JSON.stringify(result, null, 2));
}

await main();
