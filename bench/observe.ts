// `make bench`: how fast signwarden judges digests, and at what cost to the registry, on loopback.
//  1. starts a registry and publishes 1,000 digests in 200 repositories, every format and posture
//     (bench/populate.ts; not measured);
//  2. observes them all through Observer + judgeDigest, as the operator does, in a process of its own
//     (bench/sweep.ts): cold, warm re-sweep, re-judge; every posture checked against what was published;
//  3. verifies a sample of the same images with `cosign verify`, one process per image, sequentially
//     and 8 at once (bench/cosign-compare.ts);
//  4. writes .cache/bench/observe-<date>.json (and .md), prints the tables with the targets.
// Exit code 1 if any judgement differs from what was published or cosign failed on the sample; a
// missed target is reported (MISS), not a failure. Settings (environment): BENCH_DIGESTS (1000),
// BENCH_REPOSITORIES (200), BENCH_SAMPLE (100), BENCH_COSIGN_SIGNED (20 per key format),
// BENCH_CONCURRENCY (16, the operator's --verify-concurrency default), BENCH_TIMEOUT_SECONDS (900).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { binaries } from '../test/e2e/harness/binaries.ts';
import { startRegistry } from '../test/e2e/harness/registry.ts';
import { git, log, machine, root, setting, startBench, writeResults } from './common.ts';
import { compareWithCosign } from './cosign-compare.ts';
import type { Kind, Maker, Plan, PlannedDigest } from './plan.ts';
import { seededRandom, shuffle } from './plan.ts';
import { populate } from './populate.ts';
import type { BenchResult } from './report.ts';
import { markdown, targetsOf } from './report.ts';
import type { SweepResult } from './sweep.ts';

const DIGESTS = setting('BENCH_DIGESTS', 1000);
const REPOSITORIES = setting('BENCH_REPOSITORIES', 200);
const SAMPLE = setting('BENCH_SAMPLE', 100);
const COSIGN_SIGNED = setting('BENCH_COSIGN_SIGNED', 20);
const CONCURRENCY = setting('BENCH_CONCURRENCY', 16);
const TIMEOUT_SECONDS = setting('BENCH_TIMEOUT_SECONDS', 900);
const SEED = 20_260_101;

/**
 * The cosign sample: as many of each signed kind (keyless and key, legacy and bundle), the key-signed
 * ones half made by cosign itself and half by bench/populate.ts.
 */
function chooseSample(digests: PlannedDigest[], size: number): number[] {
  const random = seededRandom(SEED + 1);
  const groups: [Kind, Maker | undefined][] = [
    ['keyless-legacy', undefined],
    ['keyless-bundle', undefined],
    ['key-legacy', 'cosign'],
    ['key-legacy', 'node-key'],
    ['key-bundle', 'cosign'],
    ['key-bundle', 'node-key'],
  ];
  const quota = [size / 4, size / 4, size / 8, size / 8, size / 8, size / 8].map(Math.floor);
  quota[0]! += size - quota.reduce((a, b) => a + b, 0);
  const chosen: number[] = [];
  groups.forEach(([kind, maker], g) => {
    const candidates = digests
      .map((d, i) => ({ d, i }))
      .filter(({ d }) => d.kind === kind && (maker === undefined || d.maker === maker))
      .map(({ i }) => i);
    chosen.push(...shuffle(candidates, random).slice(0, quota[g]));
  });
  return shuffle(chosen, random);
}

/** The sweep process while it runs: the watchdog ends it too. */
let sweeping: ChildProcess | undefined;

async function runSweep(plan: Plan, dir: string, profilePrefix: string): Promise<SweepResult> {
  const planPath = join(dir, 'plan.json');
  const outPath = join(dir, 'sweep.json');
  writeFileSync(planPath, JSON.stringify(plan));
  const child = spawn(process.execPath, [join(root, 'bench', 'sweep.ts'), planPath, outPath, profilePrefix], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  sweeping = child;
  const [code] = (await once(child, 'exit')) as [number | null];
  sweeping = undefined;
  if (code !== 0) throw new Error(`bench/sweep.ts failed with exit code ${code}`);
  return JSON.parse(readFileSync(outPath, 'utf8')) as SweepResult;
}

const count = <K extends string>(keys: K[]): Partial<Record<K, number>> => {
  const counts: Partial<Record<K, number>> = {};
  for (const k of keys) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
};

async function main(): Promise<number> {
  const { started, date, stamp, loadAtStart, resultsDir } = startBench('observe', TIMEOUT_SECONDS, () =>
    sweeping?.kill('SIGKILL'),
  );
  const bin = await binaries();
  log('starting a registry (distribution, loopback, no referrers API)');
  const registry = await startRegistry();
  const work = await mkdtemp(join(tmpdir(), 'signwarden-bench-'));
  try {
    const registryPid = Number(readFileSync(join(registry.dir, 'registry.pid'), 'utf8').split(' ')[0]);
    log(`publishing ${DIGESTS} digests in ${REPOSITORIES} repositories (not measured)`);
    const populated = Date.now();
    const population = await populate({
      host: registry.host,
      digests: DIGESTS,
      repositories: REPOSITORIES,
      cosignSigned: COSIGN_SIGNED,
      seed: SEED,
      log,
    });
    const populateSeconds = (Date.now() - populated) / 1000;
    log(`  done in ${populateSeconds.toFixed(1)} s`);
    const plan: Plan = {
      host: registry.host,
      registryPid: Number.isSafeInteger(registryPid) ? registryPid : undefined,
      trustedRootPath: population.trustedRootPath,
      publicKeyPath: population.publicKeyPath,
      concurrency: CONCURRENCY,
      digests: population.digests,
      sample: chooseSample(population.digests, SAMPLE),
    };

    log('observing (Observer + judgeDigest, a process of its own)');
    const sweep = await runSweep(plan, work, join(resultsDir, `observe-${stamp}`));
    log(`cosign verify of ${plan.sample.length} of the same images, one process per image`);
    const cosign = await compareWithCosign(plan, [1, 8]);
    for (const run of cosign.runs)
      log(`  ${run.name}: ${run.digestsPerSecond} digests/s, ${run.failures} failures`);

    const phase = (name: string) => sweep.phases.find((p) => p.name === name)!;
    const cosignRun = (parallel: number) => cosign.runs.find((r) => r.parallel === parallel)!;
    // Advantage: how many times better signwarden is (higher throughput, or less CPU per image).
    const ratio = (name: string, unit: string, signwarden: number, other: number, lowerIsBetter = false) => ({
      name,
      unit,
      signwarden,
      cosign: other,
      advantage: Math.round((lowerIsBetter ? other / signwarden : signwarden / other) * 10) / 10,
    });
    const sampleOneByOne = phase('cosign sample, cold, 1 at a time');
    const ratios = [
      ratio(
        `sample: signwarden at ${CONCURRENCY} vs cosign 8 at once`,
        'digests/s',
        phase('cosign sample, cold').digestsPerSecond,
        cosignRun(8).digestsPerSecond,
      ),
      ratio(
        'sample: both one at a time',
        'digests/s',
        sampleOneByOne.digestsPerSecond,
        cosignRun(1).digestsPerSecond,
      ),
      ratio(
        'all 1,000 cold vs cosign 8 at once',
        'digests/s',
        phase('cold').digestsPerSecond,
        cosignRun(8).digestsPerSecond,
      ),
      ratio(
        'sample, one at a time: CPU per image (load-independent)',
        'CPU ms/image',
        sampleOneByOne.cpuMsPerDigest,
        cosignRun(1).cpuMsPerImage.cosign ?? Number.NaN,
        true,
      ),
    ];
    const correct =
      sweep.phases.every((p) => p.mismatches === 0) && cosign.runs.every((r) => r.failures === 0);
    const result: BenchResult = {
      date: date.toISOString(),
      git: git(),
      machine: { ...machine(loadAtStart), nodeOptions: process.env.NODE_OPTIONS ?? '' },
      versions: {
        cosign: cosign.version,
        registry: /registry-(v[^/]+)/.exec(bin.registry)?.[1] ?? basename(bin.registry),
      },
      population: {
        digests: population.digests.length,
        repositories: new Set(population.digests.map((d) => d.repository)).size,
        seconds: Math.round(populateSeconds * 10) / 10,
        byKind: count(population.digests.map((d) => d.kind)),
        byMaker: count(population.digests.map((d) => d.maker)),
        cosignSample: plan.sample.length,
      },
      sweep,
      cosign,
      ratios,
      targets: targetsOf(sweep),
      correct,
      totalSeconds: Math.round((Date.now() - started) / 100) / 10,
    };

    const dir = resultsDir;
    const table = markdown(result);
    writeResults(dir, 'observe', stamp, result, table);
    process.stdout.write(`\n${table}\n\n`);
    process.stdout.write(
      `results: .cache/bench/observe-${stamp}.json (.md, -cold.cpuprofile, -replayed.cpuprofile); ${result.totalSeconds} s in all\n`,
    );
    if (!correct) {
      for (const p of sweep.phases) for (const m of p.mismatchExamples) log(`MISMATCH ${p.name}: ${m}`);
      for (const r of cosign.runs) for (const f of r.failureExamples) log(`COSIGN FAILED ${r.name}: ${f}`);
      log('bench: FAILED (judgements differ from what was published, or cosign failed)');
      return 1;
    }
    await population.remove();
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
    await registry.stop();
  }
}

process.exitCode = await main();
