// The same images through `cosign verify`, one process per image (what a script or an admission hook
// shelling out to cosign does), offline with the flags of the e2e harness: sequentially and N at once.
import { performance } from 'node:perf_hooks';
import { cosignVerify, runCosign } from '../test/e2e/harness/signing/cosign.ts';
import type { CosignVerifyOptions } from '../test/e2e/harness/signing/cosign.ts';
import type { Plan, PlannedDigest } from './plan.ts';
import { percentile, pool, processCpuSeconds } from './plan.ts';

export interface CosignRun {
  name: string;
  images: number;
  parallel: number;
  seconds: number;
  digestsPerSecond: number;
  latencyMs: { p50: number; p95: number };
  /** CPU milliseconds per image: the cosign processes, and the registry serving them. */
  cpuMsPerImage: { cosign: number | null; registry: number | null };
  /** Images cosign did not verify, or verified in another format than published. */
  failures: number;
  failureExamples: string[];
}

export interface CosignComparison {
  version: string;
  runs: CosignRun[];
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

export async function compareWithCosign(plan: Plan, parallel: number[]): Promise<CosignComparison> {
  const sample = plan.sample.map((i) => plan.digests[i]!);
  // Warm-up outside the timings: locating the binary, the page cache.
  const version = await runCosign(['version', '--json']);
  const parsed = JSON.parse(version.stdout || '{}') as { gitVersion?: string };
  const runs: CosignRun[] = [];
  for (const n of parallel) runs.push(await verifyAll(plan, sample, n));
  return { version: parsed.gitVersion ?? 'unknown', runs };
}

async function verifyAll(plan: Plan, sample: PlannedDigest[], parallel: number): Promise<CosignRun> {
  const latencies: number[] = [];
  const failures: string[] = [];
  const cosignCpu = processCpuSeconds('self', true);
  const registryCpu = processCpuSeconds(plan.registryPid);
  const started = performance.now();
  await pool(sample, parallel, async (d) => {
    if (!d.cosign) throw new Error(`${d.digest} (${d.kind}) is not for cosign verify`);
    const ref = `${plan.host}/${d.repository}@${d.digest}`;
    // cosign's default format: bundles if the image has any, else the legacy `.sig` signatures.
    const opts: CosignVerifyOptions =
      'key' in d.cosign
        ? { format: 'bundle', key: plan.publicKeyPath }
        : { format: 'bundle', trustedRoot: plan.trustedRootPath, ...d.cosign };
    const t0 = performance.now();
    const result = await cosignVerify(ref, opts);
    latencies.push(performance.now() - t0);
    const want = d.kind.endsWith('legacy') ? 'legacy' : 'bundle';
    if (result.code !== 0 || result.format !== want)
      failures.push(
        `${ref} (${d.kind}, ${d.maker}): exit ${result.code} ${result.stderr.trim().slice(-300)}`,
      );
  });
  const seconds = (performance.now() - started) / 1000;
  const perImage = (before: number | undefined, after: number | undefined): number | null =>
    before === undefined || after === undefined ? null : round(((after - before) * 1000) / sample.length);
  return {
    name: parallel === 1 ? 'cosign verify, sequential' : `cosign verify, ${parallel} at once`,
    images: sample.length,
    parallel,
    seconds: round(seconds, 3),
    digestsPerSecond: round(sample.length / seconds, 1),
    latencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)) },
    cpuMsPerImage: {
      cosign: perImage(cosignCpu, processCpuSeconds('self', true)),
      registry: perImage(registryCpu, processCpuSeconds(plan.registryPid)),
    },
    failures: failures.length,
    failureExamples: failures.slice(0, 5),
  };
}
