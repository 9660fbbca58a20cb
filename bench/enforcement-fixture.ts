// What the enforcement bench publishes and creates: the guarded repositories of a namespace as the
// operator would hand them to generateParameters (a seeded, realistic mix of registries, verdicts
// and tags), the Pods it times, and reading the generated ConfigMap the way the policy's CEL does.
import { createHash } from 'node:crypto';
import type { Finding } from '../src/core/continuity/decide.ts';
import type { GuardedRepository, RecordKind } from '../src/core/enforcement/parameters.ts';
import { dataKey } from '../src/core/enforcement/parameters.ts';
import { seededRandom } from './plan.ts';

const GH = 'https://token.actions.githubusercontent.com';
const TEAMS = ['payments', 'checkout', 'identity', 'platform', 'search', 'data', 'mobile-api', 'edge'];
// Name lengths vary by registry, and the ConfigMap spends them twice per record (key and record).
const REGISTRIES = [
  (team: string, service: string) => `ghcr.io/acme-corp/${team}/${service}`,
  (team: string, service: string) => `registry.example.com/${team}/${service}`,
  (team: string, service: string) => `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${team}/${service}`,
  (team: string, service: string) => `docker.io/acmecorp/${team}-${service}`,
];

const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** The verdicts of a namespace's digests, in these shares; the rest are verified (admitted). */
export const MIX = { accepted: 0.04, violating: 0.06 };
/** Share of repositories guarded by a SignaturePin rather than an established baseline. */
const PINNED = 0.2;

/**
 * `digests` digests spread evenly over `repositories` guarded repositories, each digest tagged with
 * a version and the newest also `latest` (tags the operator saw resolve). Seeded: with as many
 * digests per repository, a smaller fixture's repositories are the first ones of a larger one.
 */
export function guardedRepositories(digests: number, repositories: number): GuardedRepository[] {
  const random = seededRandom(5);
  const perRepository = Math.ceil(digests / repositories);
  const out: GuardedRepository[] = [];
  for (let i = 0; i < repositories; i++) {
    const team = TEAMS[i % TEAMS.length]!;
    const service = `service-${String(i).padStart(4, '0')}`;
    const repository = REGISTRIES[i % REGISTRIES.length]!(team, service);
    const pinned = random() < PINNED;
    const count = Math.min(perRepository, digests - i * perRepository);
    const verdicts = Array.from({ length: Math.max(0, count) }, (_, j) => {
      const digest = sha256(`${repository}#${j}`);
      const draw = random();
      const kind =
        draw < MIX.violating ? 'violating' : draw < MIX.violating + MIX.accepted ? 'accepted' : 'admitted';
      // What decide() returns for these, as far as the parameters read it (admit, finding).
      const finding = { kind: 'Unsigned' } as Finding;
      return kind === 'admitted'
        ? { digest, decision: { admit: true } }
        : kind === 'accepted'
          ? {
              digest,
              decision: { admit: true, finding },
              findingName: `${service}-unsigned-${digest.slice(7, 17)}`,
            }
          : {
              digest,
              decision: { admit: false, finding },
              findingName: `${service}-unsigned-${digest.slice(7, 17)}`,
            };
    });
    out.push({
      repository,
      source: pinned
        ? `signaturepin/${team}-release`
        : `signingbaseline/${service}-${sha256(repository).slice(7, 17)}`,
      expected: [`https://github.com/acme-corp/${service}/.github/workflows/release.yml@refs/tags/* (${GH})`],
      digests: verdicts,
      tags: [
        ...verdicts.map((v, j) => ({ tag: `v1.${j}.0`, digest: v.digest })),
        ...(verdicts.length > 0 ? [{ tag: 'latest', digest: verdicts.at(-1)!.digest }] : []),
      ],
    });
  }
  return out;
}

/** The record of `text` with a payload starting with `payload`, read as the policy's CEL reads it. */
export const hasRecord = (
  data: Record<string, string>,
  kind: RecordKind,
  text: string,
  payload: string,
): boolean => (data[dataKey(kind, text)] ?? '').includes(`\n${text} ${payload}`);

/** The digests `generateParameters` lists as admitted (`+`): the ones a Pod may name. */
export function admittedImages(
  repositories: readonly GuardedRepository[],
  data: Record<string, string>,
): string[] {
  return repositories.flatMap((r) =>
    r.digests
      .filter(
        (d) =>
          d.decision.admit && !d.decision.finding && hasRecord(data, 'D', `${d.digest}@${r.repository}`, '+'),
      )
      .map((d) => `${r.repository}@${d.digest}`),
  );
}

/**
 * The data bytes the parameters would need without the bound: every record generateParameters
 * makes of this input, costed as it costs them (key and framing once per key, a line per record).
 * Only to say by how much a namespace overflows.
 */
export function unboundedDataBytes(repositories: readonly GuardedRepository[]): number {
  const lines = new Map<string, number>();
  const add = (kind: RecordKind, text: string, payload: string) => {
    const key = dataKey(kind, text);
    lines.set(key, (lines.get(key) ?? key.length + 2) + text.length + payload.length + 2);
  };
  for (const r of repositories) {
    add('R', r.repository, `${r.source} ${r.expected.join(', ')}`);
    const verdicts = new Map<string, string>();
    for (const d of r.digests) {
      const payload = d.decision.admit ? (d.decision.finding ? '+accepted' : '+') : `-${d.findingName}`;
      if (!d.decision.admit && !d.decision.finding) continue;
      verdicts.set(d.digest, payload);
      add('D', `${d.digest}@${r.repository}`, payload);
    }
    for (const t of r.tags ?? []) {
      const payload = verdicts.get(t.digest);
      if (payload !== undefined)
        add('T', `${r.repository}:${t.tag}`, payload.startsWith('-') ? payload : '+');
    }
  }
  return [...lines.values()].reduce((a, b) => a + b, 0);
}

/** Record counts by kind in a generated ConfigMap's data. */
export function recordCounts(data: Record<string, string>): Record<RecordKind, number> {
  const counts: Record<RecordKind, number> = { R: 0, D: 0, T: 0 };
  for (const [key, value] of Object.entries(data)) {
    const kind = key[0] as RecordKind;
    if (kind in counts && key[1] === '.') counts[kind] += value.split('\n').filter(Boolean).length;
  }
  return counts;
}

/** A Pod as a team would create it: two containers and an init container, images by digest. */
export const pod = (name: string, images: { containers: [string, string]; init: string }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'bench' } },
  spec: {
    initContainers: [{ name: 'migrate', image: images.init, command: ['/migrate'] }],
    containers: [
      { name: 'app', image: images.containers[0], ports: [{ containerPort: 8080 }] },
      { name: 'proxy', image: images.containers[1], ports: [{ containerPort: 9090 }] },
    ],
  },
});

/** A digest no one verified, of repository `repository`. */
export const unverified = (repository: string): string =>
  `${repository}@${sha256(`unverified ${repository}`)}`;
