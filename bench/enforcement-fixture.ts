// What the enforcement bench publishes and creates: the guarded repositories of a namespace as the
// operator would hand them to generateParameters (a seeded, realistic mix of registries, verdicts
// and tags), the Pods it times, and reading the generated parameters the way the policy's CEL does.
import { createHash } from 'node:crypto';
import type { Finding } from '../src/core/continuity/decide.ts';
import type { EnforcementParametersSpec } from '../src/api/enforcement-parameters.ts';
import type { GuardedRepository } from '../src/core/enforcement/parameters.ts';
import { digestVerdict } from '../src/core/enforcement/published-verdicts.ts';
import { seededRandom } from './plan.ts';

const GH = 'https://token.actions.githubusercontent.com';
const TEAMS = ['payments', 'checkout', 'identity', 'platform', 'search', 'data', 'mobile-api', 'edge'];
// Name lengths vary by registry (a repository key is spelled once in the parameters).
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

/** The digests `generateParameters` lists as admitted (`+`): the ones a Pod may name. */
export function admittedImages(
  repositories: readonly GuardedRepository[],
  spec: EnforcementParametersSpec,
): string[] {
  return repositories.flatMap((r) =>
    r.digests
      .filter(
        (d) => d.decision.admit && !d.decision.finding && digestVerdict(spec, r.repository, d.digest) === '+',
      )
      .map((d) => `${r.repository}@${d.digest}`),
  );
}

/** The same images spelled `repo:tag@digest`, with a tag the fixture gave each digest. */
export function withTags<T extends { containers: [string, string]; init: string }>(
  images: T,
  repositories: readonly GuardedRepository[],
): T {
  const spell = (image: string): string => {
    const [repository, digest] = image.split('@') as [string, string];
    const tag = repositories
      .find((r) => r.repository === repository)
      ?.tags?.find((t) => t.digest === digest)?.tag;
    if (tag === undefined) throw new Error(`no tag names ${image}`);
    return `${repository}:${tag}@${digest}`;
  };
  return {
    ...images,
    containers: [spell(images.containers[0]), spell(images.containers[1])],
    init: spell(images.init),
  };
}

/** Images spelled `repo:tag@digest` (withTags) by their tag alone, `repo:tag`. */
export function tagOnly<T extends { containers: [string, string]; init: string }>(tagged: T): T {
  const strip = (image: string): string => image.split('@')[0]!;
  return {
    ...tagged,
    containers: [strip(tagged.containers[0]), strip(tagged.containers[1])],
    init: strip(tagged.init),
  };
}

/**
 * Three admitted digests of Docker Hub repositories, spelled as people write them (no `docker.io/`).
 */
export function dockerHubShort(
  repositories: readonly GuardedRepository[],
  spec: EnforcementParametersSpec,
): { containers: [string, string]; init: string } {
  const hub = admittedImages(repositories, spec).filter((image) => image.startsWith('docker.io/'));
  const byRepository = [...new Map(hub.map((image) => [image.split('@')[0]!, image])).values()];
  const [a, b, c] = byRepository.map((image) => image.slice('docker.io/'.length));
  if (c === undefined) throw new Error('fewer than three admitted Docker Hub digests are listed');
  return { containers: [a!, b!], init: c };
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
