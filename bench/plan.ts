// What bench/observe.ts hands to bench/sweep.ts (as a JSON file): the registry, the trust material
// and every digest published, with what judging it must say.
import { readFileSync } from 'node:fs';
import type { Posture } from '../src/api/postures.ts';
import type { SignatureLocation } from '../src/core/observation.ts';

/** How a digest was published. */
export const KINDS = [
  'keyless-legacy',
  'keyless-bundle',
  'key-legacy',
  'key-bundle',
  'unsigned',
  'invalid-keyless-legacy',
  'invalid-keyless-bundle',
  'invalid-key-legacy',
  'unverifiable-legacy',
  'unverifiable-bundle',
] as const;
export type Kind = (typeof KINDS)[number];

/** Who made the signature: the cosign binary, node:crypto with cosign's layout, or the test Sigstore. */
export type Maker = 'cosign' | 'node-key' | 'test-sigstore' | 'none';

export interface Expected {
  posture: Posture;
  location?: SignatureLocation;
  /** Keyless: the certificate's SAN; key: the key's fingerprint. */
  signer?: string;
}

export interface PlannedDigest {
  /** Repository name inside the registry, e.g. bench/svc-007. */
  repository: string;
  digest: string;
  kind: Kind;
  maker: Maker;
  expected: Expected;
  /** How `cosign verify` is told who signed (signed kinds only). */
  cosign?: { key: true } | { identity: string; issuer: string };
}

export interface Plan {
  /** 127.0.0.1:PORT */
  host: string;
  /** The registry process, whose CPU time each phase reports. */
  registryPid: number | undefined;
  trustedRootPath: string;
  publicKeyPath: string;
  /** Digests judged at once: the operator's --verify-concurrency default. */
  concurrency: number;
  digests: PlannedDigest[];
  /** Indexes into `digests` of the images also verified by `cosign verify`. */
  sample: number[];
}

/** The `p`-th percentile (0..100) of `values`, nearest rank; 0 when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** A deterministic PRNG (mulberry32): the same mix of kinds and sample on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Runs `task` over `items`, at most `concurrency` at once, in order of `items`. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc; undefined if it is gone.
 * `children`: instead, those of its children that ended and were waited for (cosign processes).
 */
export function processCpuSeconds(pid: number | 'self' | undefined, children = false): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14 to 17 of stat (12 to 15 after the command name), in
    // clock ticks of 10 ms.
    const at = children ? 13 : 11;
    return (Number(fields[at]) + Number(fields[at + 1])) / 100;
  } catch {
    return undefined;
  }
}
